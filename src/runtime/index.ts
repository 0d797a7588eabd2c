/** Public surface of the runtime: jax-js start-up, RNG, AdamW train step, safetensors, atomic I/O. */
export { initJax, jax, np, nn, lax, random, tree, type JaxArray } from "./jax.js";
export { UserError } from "./errors.js";
export { sigmoid, logSigmoid, SIGMOID_FLOOR } from "./stable-sigmoid.js";
export { Rng, type RngState } from "./rng.js";
export { adamwUpdate, adamwStepScalars, globalNorm, type AdamWHyper } from "./adamw.js";
export { makeTrainStep, initTrainState, type TrainState, type TrainStep, type LossFn } from "./train-step.js";
export { readSafetensors, writeSafetensors, encodeSafetensors, decodeSafetensors, type Tensor, type SafetensorsFile } from "./safetensors.js";
export { writeFileAtomic, writeDirAtomic } from "./atomic.js";
export { toFloat32, peekFloat32, fromFloat32 } from "./refs.js";
export { trackLiveArrays, liveArrayCount } from "./live.js";
