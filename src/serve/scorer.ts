/**
 * What the service returns for a batch of (reference, instruction, generated) items, as configured:
 * - "dp" / "pf": the Eq. 9–11 score of that one judge prompt (only that prompt is judged);
 * - "sum": the weighted raw sum w_dp·s_dp + w_pf·s_pf of the two scores (Eq. 13 without Eq. 12);
 * - "standardized": Eq. 12–13 within the group (groupwise requests only: all items share one group).
 * A batch in which any item's reward is not a finite number fails as a whole, naming which judgements failed
 * and why: the protocols carry no per-item failure, and a failure is never turned into a number.
 */
import { JudgeRewardModel, aggregateRewards, levelScore, type Judge, type JudgeResult, type PromptKind, type RewardItem } from "../reward/index.js";

export type ServedReward = "dp" | "pf" | "sum" | "standardized";
export const SERVED_REWARDS: readonly ServedReward[] = ["dp", "pf", "sum", "standardized"];

export type ScoreOutcome = { rewards: number[] } | { error: string; failed: number };

export interface ScorerOptions {
  returns: ServedReward;
  /** w_dp of Eq. 13 (w_pf = 1 − w_dp). */
  wDp: number;
  /** Called after a batch with judgements that failed: how many, and their distinct reasons (each names the judge endpoint). */
  onFailure?: (count: number, reasons: string[]) => void;
}

export class RewardScorer {
  private readonly model: JudgeRewardModel;

  constructor(
    private readonly judge: Judge,
    readonly opts: ScorerOptions,
  ) {
    this.model = new JudgeRewardModel(judge, "ours");
  }

  private async single(kind: PromptKind, items: readonly RewardItem[]): Promise<{ s: number[]; results: JudgeResult[] }> {
    const results = await Promise.all(items.map((it) => this.judge.judge({ kind, reference: it.reference, instruction: it.instruction, generated: it.generated })));
    return { s: results.map((r) => levelScore(r.logprobs, this.judge.levels)), results }; // Eq. 9–11
  }

  /** Rewards in input order; for "standardized" the items of one group share a group key. */
  async score(items: readonly RewardItem[]): Promise<ScoreOutcome> {
    const { returns, wDp } = this.opts;
    let rewards: number[];
    let errors: string[];
    let failedJudgements: number;
    if (returns === "dp" || returns === "pf") {
      const { s, results } = await this.single(returns, items);
      rewards = s;
      errors = [...new Set(results.map((r) => r.error).filter((e): e is string => e !== undefined))];
      failedJudgements = s.filter((v) => Number.isNaN(v)).length;
    } else {
      const res = await this.model.score(items);
      errors = res.diagnostics.errors;
      failedJudgements = res.diagnostics.nanDp + res.diagnostics.nanPf;
      rewards =
        returns === "sum"
          ? res.dp.map((d, i) => wDp * d + (1 - wDp) * (res.pf[i] as number)) // Eq. 13 on the raw scores
          : aggregateRewards(res.dp, res.pf, items.map((it) => it.groupKey), { wDp, recipe: "standardized" }).s; // Eq. 12–13
    }
    if (failedJudgements > 0) this.opts.onFailure?.(failedJudgements, errors);
    const failed = rewards.filter((r) => !Number.isFinite(r)).length;
    if (failed === 0) return { rewards };
    const why = errors.length > 0 ? errors.slice(0, 3).join("; ") : "fewer than two valid samples in the group (Eq. 12 needs two)";
    return { error: `${failed} of ${items.length} rewards could not be obtained: ${why}`, failed };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
