/**
 * The one reward factory of the commands that score images (train, judge; eval loads the same judge and
 * embedders through `loadEvalEmbedders` and `buildJudge`): a reward variant of Table 3 from the judge
 * flags and the CLIP / DINOv2 folders. The judge variants (ours, dual-pd) get the OpenAI-compatible
 * judge, or the synthetic one on synthetic data; the encoder variants get the given ONNX folder
 * (checked and preprocessed as the eval does), or the synthetic embedder on synthetic data.
 */
import { createRewardModel, createSyntheticEmbedder, type Embedder, type RewardModel, type RewardVariant } from "../reward/index.js";
import { buildJudge, checkJudgeConfig, type JudgeConfig } from "../reward/judge-config.js";
import { UserError } from "../runtime/errors.js";
import { checkEmbedderFolder, loadEvalEmbedders } from "./embedders.js";

export interface RewardSources {
  judge: JudgeConfig;
  clipModel?: string | null;
  dinoModel?: string | null;
}

export interface ReadyReward {
  reward: RewardModel;
  /** The judge's start-up verdicts, one line per endpoint. */
  probe: string[];
  /** What outputs record about the judge or embedder (never the API key). */
  describe: Record<string, unknown>;
}

const isJudgeVariant = (v: RewardVariant): v is "ours" | "dual-pd" => v === "ours" || v === "dual-pd";

/** Everything that can be checked before any work (exit 2, one line): the judge flags or the embedder folder. */
export function checkRewardSources(variant: RewardVariant, s: RewardSources, dataDir: string): void {
  if (isJudgeVariant(variant)) {
    if (s.judge.urls.length > 0) checkJudgeConfig(s.judge, false, dataDir);
    return;
  }
  if (variant === "dino-i" && s.dinoModel) checkEmbedderFolder(s.dinoModel, "dino", "--dino-model");
  if (variant !== "dino-i" && s.clipModel) checkEmbedderFolder(s.clipModel, "clip", "--clip-model");
}

/** The reward model of `variant`; `synthetic`: the records carry the benchmark's attributes. */
export async function buildReward(variant: RewardVariant, s: RewardSources, synthetic: boolean, dataDir: string): Promise<ReadyReward> {
  if (isJudgeVariant(variant)) {
    const ready = await buildJudge(s.judge, synthetic, dataDir);
    return { reward: createRewardModel(variant, { judge: ready.judge }), probe: ready.probe, describe: ready.describe };
  }
  const kind = variant === "dino-i" ? "dino" : "clip";
  const dir = kind === "dino" ? s.dinoModel : s.clipModel;
  let embedder: Embedder;
  if (dir) {
    const loaded = await loadEvalEmbedders({ [kind]: dir });
    embedder = loaded[kind]!;
  } else if (synthetic) {
    embedder = createSyntheticEmbedder();
  } else {
    throw new UserError(`--reward ${variant}: the data are not synthetic, so pass --${kind}-model DIR`, 2);
  }
  return { reward: createRewardModel(variant, { [kind]: embedder }), probe: [], describe: dir ? { [`${kind}_model`]: dir } : {} };
}
