/** Builds the reward model of one Table 3 variant from a judge and/or embedders. */
import { UserError } from "../runtime/errors.js";
import type { Embedder } from "./embedder.js";
import { ENCODER_VARIANTS, EncoderRewardModel } from "./encoder-reward.js";
import { JudgeRewardModel, type RewardModel } from "./reward-model.js";
import type { Judge } from "./types.js";

/** The reward variants (Table 3), listed here only. */
export const REWARD_VARIANTS = ["ours", "dual-pd", ...ENCODER_VARIANTS] as const;
export type RewardVariant = (typeof REWARD_VARIANTS)[number];

export function parseRewardVariant(text: string, where = "--reward"): RewardVariant {
  if (!(REWARD_VARIANTS as readonly string[]).includes(text)) throw new UserError(`${where}: '${text}' is not one of ${REWARD_VARIANTS.join(", ")}`);
  return text as RewardVariant;
}

export interface RewardParts {
  judge?: Judge;
  /** CLIP-like embedder (image and text) for clip-t, clip-i, directional. */
  clip?: Embedder;
  /** DINO-like image embedder for dino-i. */
  dino?: Embedder;
}

export function createRewardModel(variant: RewardVariant, parts: RewardParts): RewardModel {
  if (variant === "ours" || variant === "dual-pd") {
    if (!parts.judge) throw new UserError(`reward ${variant} needs a judge`);
    return new JudgeRewardModel(parts.judge, variant);
  }
  const embedder = variant === "dino-i" ? parts.dino : parts.clip;
  if (!embedder) throw new UserError(`reward ${variant} needs ${variant === "dino-i" ? "a DINO (--dino-model)" : "a CLIP (--clip-model)"} embedder`);
  return new EncoderRewardModel(variant, embedder);
}
