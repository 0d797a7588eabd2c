/** Public surface of the editing model. */
export {
  presetConfig,
  parseModelConfig,
  isPresetName,
  PRESET_NAMES,
  ModelConfigSchema,
  headDim,
  mlpDim,
  gridSide,
  tokensPerImage,
  tokenDim,
  sequenceLength,
  type ModelConfig,
  type PresetName,
} from "./config.js";
export { buildModel, initBaseWeights, type EditModel } from "./model.js";
export { type ParamEntry, specSize } from "./params.js";
export { baseSpec, transformerSpec, linearModules, type LinearModule } from "./spec.js";
export { LORA_TARGETS, LoraConfigSchema, parseLoraConfig, loraModules, loraSpec, loraScale, initLoraWeights, mergeLora, type LoraConfig, type LoraTargets } from "./lora.js";
export { tokenize, tokenizeBatch, splitWords, vocabularyOf, vocabSize, vocabularyFromTexts } from "./text.js";
export { BUILTIN_VOCABULARY, PAD_ID, UNK_ID } from "./vocabulary.js";
export { imagesToTokens, tokensToImages } from "./codec.js";
export { saveCheckpoint, loadCheckpoint, chooseBaseWeights, chooseWeights, checkpointHash, LORA_EMA_TENSOR, BASE_WEIGHT_CHOICES, CHECKPOINT_FORMAT, type BaseWeightChoice, type CheckpointData, type LoadedCheckpoint } from "./checkpoint.js";
export { positionIds } from "./rope.js";
export { loadOrt } from "./onnx/session.js";
export {
  openForward, FORWARD_ENGINES, DEFAULT_FORWARD_ENGINE, forwardEngineFlag, requireEngine, fastestEngine, engineVersions,
  type BatchConditioning, type BoundVelocity, type Forward, type ForwardEngine,
} from "./forward.js";
