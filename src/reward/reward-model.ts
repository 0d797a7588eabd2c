/**
 * Reward models: what the RL trainer calls on a rollout batch. Each variant of the paper's Table 3 is one
 * RewardModel:
 * - "ours": DP and PF judged separately (two objectives; aggregate with Eq. 12–13);
 * - "dual-pd": one unified judge prompt (one objective);
 * - encoder rewards (encoder-reward.ts): CLIP-T, CLIP-I, DINO-I, directional (one objective).
 * A one-objective model returns its score in both `dp` and `pf`: with w_dp + w_pf = 1 the standardized
 * aggregation then gives exactly the z-score of that one score, and the raw sum the score itself.
 * NaN marks every score that was not obtained; nothing is invented in its place.
 */
import { UserError } from "../runtime/errors.js";
import { levelScore } from "./score.js";
import type { Image, Judge, JudgeResult, PromptKind } from "./types.js";

export interface RewardItem {
  /** Samples with the same key form a group (one reference and instruction, G generations). */
  groupKey: string;
  reference: Image;
  instruction: string;
  generated: Image;
  /** Only the encoder rewards of the ablation read it (they need the target; the judges never do). */
  target?: Image;
}

export interface RewardDiagnostics {
  /** Samples whose dp (pf) score is NaN. */
  nanDp: number;
  nanPf: number;
  /** Mean probability mass on the score levels over the judgements that returned tokens (NaN if none). */
  meanMass: number;
  meanLatencyMs: number;
  cacheHits: number;
  /** Up to five distinct failure reasons. */
  errors: string[];
}

export interface RewardScores {
  /** Detail preservation per item, in [0, 1] for the judges; NaN where not obtained. */
  dp: number[];
  /** Prompt following per item; equal to `dp` when `objectives` is 1. */
  pf: number[];
  objectives: 1 | 2;
  diagnostics: RewardDiagnostics;
}

export interface RewardModel {
  readonly name: string;
  /** The items must carry their target image (the encoder rewards of the ablation; never a judge). */
  readonly needsTarget: boolean;
  score(items: readonly RewardItem[]): Promise<RewardScores>;
  close(): Promise<void>;
}

export function diagnose(dp: readonly number[], pf: readonly number[], results: readonly JudgeResult[]): RewardDiagnostics {
  const withMass = results.filter((r) => r.tokens.length > 0 || r.mode === "synthetic");
  const errors = [...new Set(results.map((r) => r.error).filter((e): e is string => e !== undefined))].slice(0, 5);
  return {
    nanDp: dp.filter((v) => Number.isNaN(v)).length,
    nanPf: pf.filter((v) => Number.isNaN(v)).length,
    meanMass: withMass.length ? withMass.reduce((a, r) => a + r.mass, 0) / withMass.length : Number.NaN,
    meanLatencyMs: results.length ? results.reduce((a, r) => a + r.latencyMs, 0) / results.length : 0,
    cacheHits: results.filter((r) => r.cached).length,
    errors,
  };
}

/** The judge-based rewards: "ours" (DP + PF) and "dual-pd" (the unified prompt). */
export class JudgeRewardModel implements RewardModel {
  readonly name: string;
  readonly needsTarget = false;

  constructor(
    private readonly judge: Judge,
    private readonly variant: "ours" | "dual-pd" = "ours",
  ) {
    this.name = `${variant}(${judge.name})`;
  }

  private async run(kind: PromptKind, items: readonly RewardItem[]): Promise<JudgeResult[]> {
    return Promise.all(items.map((it) => this.judge.judge({ kind, reference: it.reference, instruction: it.instruction, generated: it.generated })));
  }

  async score(items: readonly RewardItem[]): Promise<RewardScores> {
    const levels = this.judge.levels;
    if (this.variant === "dual-pd") {
      const res = await this.run("dual", items);
      const s = res.map((r) => levelScore(r.logprobs, levels)); // Eq. 9–11
      return { dp: s, pf: [...s], objectives: 1, diagnostics: diagnose(s, s, res) };
    }
    const [dpRes, pfRes] = await Promise.all([this.run("dp", items), this.run("pf", items)]);
    const dp = dpRes.map((r) => levelScore(r.logprobs, levels)); // Eq. 9–11, X_dp
    const pf = pfRes.map((r) => levelScore(r.logprobs, levels)); // Eq. 9–11, X_pf
    return { dp, pf, objectives: 2, diagnostics: diagnose(dp, pf, [...dpRes, ...pfRes]) };
  }

  close(): Promise<void> {
    return this.judge.close();
  }
}

/** Items that miss a target, for the rewards that need one: a UserError before any work. */
export function requireTargets(name: string, items: readonly RewardItem[]): Image[] {
  const missing = items.findIndex((it) => it.target === undefined);
  if (missing >= 0) throw new UserError(`reward ${name} needs target images, and item ${missing} (group ${items[missing]?.groupKey}) has none`, 1);
  return items.map((it) => it.target as Image);
}
