/** The RL trainer: configuration and presets, the training loop, the run folder and its resumable state. */
export { DEFAULT_VAL_SAMPLES, TRAIN_PRESETS, TrainConfigSchema, defaultTrainPreset, isTrainPreset, resolveTrainConfig, type TrainConfig, type TrainPreset, type TrainOverrides, type ResolvedTrainConfig } from "./config.js";
export { train, type TrainOptions, type TrainResult, type TrainHooks } from "./trainer.js";
export { inspectTrainRun, paths as runPaths, RUN_KIND, type RunConfigFile } from "./run-folder.js";
export { loadRunState, saveRunState, type RunState } from "./run-state.js";
export type { EpochMetrics, ValidationPoint } from "./metrics.js";
