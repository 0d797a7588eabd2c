/** The multi-objective LVLM reward (DESIGN §4–5): judges, Eq. 9–13, reward variants. */
export type { Image, PromptKind, JudgeRequest, JudgeResult, RawToken, Judge } from "./types.js";
export { levelProbabilities, levelScore } from "./score.js";
export { AGGREGATION_RECIPES, aggregateRewards, type AggregateOptions, type Aggregated, type AggregationRecipe } from "./aggregate.js";
export { DEFAULT_LEVELS, checkLevels, parseLevels } from "./levels.js";
export { mapTokensToLevels, normaliseToken } from "./token-map.js";
export { DEFAULT_PROMPT_DIR, PROMPT_FILES, loadTemplates, renderPrompt, checkTemplate, type PromptTemplates } from "./prompts.js";
export { rgbImage, toPng, toRgb } from "./image.js";
export { JudgeCache } from "./cache.js";
export { OpenAIJudge, checkJudgeOptions, DEFAULT_API_KEY_ENV, type OpenAIJudgeOptions, type JudgeAttempt } from "./openai-judge.js";
export { SyntheticJudge, type SyntheticJudgeOptions, type AttributeProbs } from "./synthetic-judge.js";
export { createSyntheticJudge, createHeldOutSyntheticJudge, createSyntheticEmbedder } from "./synthetic-default.js";
export { JudgeRewardModel, type RewardItem, type RewardScores, type RewardDiagnostics, type RewardModel } from "./reward-model.js";
export { EncoderRewardModel, ENCODER_VARIANTS, type EncoderVariant } from "./encoder-reward.js";
export { cosine, type Embedder } from "./embedder.js";
export { SyntheticEmbedder } from "./synthetic-embedder.js";
export { clipEmbedder, dinoEmbedder } from "./hf-embedder.js";
export { createRewardModel, parseRewardVariant, REWARD_VARIANTS, type RewardVariant, type RewardParts } from "./factory.js";
export { buildJudge, checkJudgeConfig, type JudgeConfig, type ReadyJudge } from "./judge-config.js";
