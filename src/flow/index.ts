/**
 * Flow matching, model-agnostic: the forward process (Eq. 1–2), FLUX's timestep shift, logit-normal
 * training timesteps, and samplers (Euler, DPM-Solver++(2M), Flow-SDE and CPS with exact Gaussian
 * per-step log-probs). Functions take jax-js arrays and consume them (pass `x.ref` to keep one);
 * a model enters only as a `VelocityFn`.
 */
export { noisify, velocityTarget, flowMatchingLossPerSample, weightedFlowMatchingLossPerSample } from "./forward.js";
export { shiftMu, timeShift, timeGrid, resolveMu, type ShiftSpec } from "./schedule.js";
export { sampleLogitNormal, logitNormalTime, type LogitNormalOptions } from "./timesteps.js";
export type { VelocityFn } from "./velocity.js";
export type { Time } from "./time.js";
export { eulerStep, sampleEuler } from "./euler.js";
export { dataPrediction, dpm2mStep, sampleDpm2m } from "./dpm.js";
export { gaussianLogProb, type LogProbReduction } from "./gaussian.js";
export { flowSdeTransition, sdeStepLogProb, type Transition } from "./sde.js";
export { cpsTransition, cpsStepLogProb } from "./cps.js";
export {
  sampleOde,
  sampleSde,
  sdeTransition,
  type OdeSolver,
  type SdeKind,
  type SdeOptions,
  type SdeRollout,
  type SdeStepRecord,
} from "./sampler.js";
