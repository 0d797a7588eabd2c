/** Cold-start SFT: flow matching on (reference, instruction, target) triplets (DESIGN §9). */
export {
  SftConfigSchema,
  DEFAULT_SFT_CONFIG,
  TRAINABLE_PRESETS,
  parseSftConfig,
  resolveSftConfig,
  learningRate,
  sftModelConfig,
  type SftConfig,
} from "./config.js";
export { prepareExamples, type SftExamples } from "./examples.js";
export { BatchMaker, editWeights, streamSeed, type HostBatch } from "./batch.js";
export { sftLoss } from "./loss.js";
export { makeEma, type Ema } from "./ema.js";
export { runSft, type SftOptions, type SftResult, type SftState, type SftStepInfo } from "./trainer.js";
export { SFT_RUN_KIND, type SftRunFile } from "./run-folder.js";
