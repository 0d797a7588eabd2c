/**
 * Multi-objective aggregation of the judge scores within each rollout group.
 * - "standardized" (ours, Eq. 12–13): z-score each objective within its group, then the weighted sum.
 * - "raw-sum" (the baselines' recipe, flow_grpo stat_tracking): weighted raw sum, minus the group mean,
 *   divided by the global std of the batch (+1e-4 as there).
 * A sample with a NaN objective is masked and counted; a group with fewer than two valid samples
 * contributes nothing (all its samples are invalid, s = NaN).
 */
import { groupMembers, meanStd } from "../runtime/group-stats.js";

export const AGGREGATION_RECIPES = ["standardized", "raw-sum"] as const;
export type AggregationRecipe = (typeof AGGREGATION_RECIPES)[number];

export interface AggregateOptions {
  /** w_dp in [0, 1]; w_pf = 1 − w_dp (Eq. 13). */
  wDp: number;
  recipe: AggregationRecipe;
  /** Lower bound of a std in Eq. 12 (default 1e-6). */
  stdFloor?: number;
}

export interface Aggregated {
  /** The combined reward per sample; NaN where not valid. */
  s: number[];
  valid: boolean[];
  /** The weighted raw sum w_dp·dp + w_pf·pf per sample (Eq. 13 on the raw scores; NaN where a score failed). */
  raw: number[];
  /** Samples with a NaN dp or pf score. */
  nanCount: number;
  /** Groups left with fewer than two valid samples. */
  droppedGroups: number;
}

const RAW_SUM_EPS = 1e-4;

export function aggregateRewards(dp: readonly number[], pf: readonly number[], groups: readonly string[], opts: AggregateOptions): Aggregated {
  const n = dp.length;
  if (pf.length !== n || groups.length !== n) throw new Error(`aggregateRewards: lengths differ (dp ${n}, pf ${pf.length}, groups ${groups.length})`);
  if (!(opts.wDp >= 0 && opts.wDp <= 1)) throw new Error(`aggregateRewards: wDp must be in [0, 1], got ${opts.wDp}`);
  const wDp = opts.wDp;
  const wPf = 1 - wDp; // Eq. 13 constraint w_dp + w_pf = 1
  const floor = opts.stdFloor ?? 1e-6;

  const finite = dp.map((d, i) => Number.isFinite(d) && Number.isFinite(pf[i] as number));
  const nanCount = finite.filter((f) => !f).length;
  const members = groupMembers(groups, (i) => finite[i] === true);
  const raw = dp.map((d, i) => wDp * d + wPf * (pf[i] as number)); // Eq. 13 on the raw scores
  const s = new Array<number>(n).fill(Number.NaN);
  const valid = new Array<boolean>(n).fill(false);
  const kept = [...members.values()].filter((idx) => idx.length >= 2);
  for (const idx of kept) for (const i of idx) valid[i] = true;
  const droppedGroups = members.size - kept.length;

  if (opts.recipe === "standardized") {
    for (const idx of kept) {
      const d = meanStd(idx.map((i) => dp[i] as number));
      const p = meanStd(idx.map((i) => pf[i] as number));
      for (const i of idx) {
        const zDp = ((dp[i] as number) - d.mean) / Math.max(d.std, floor); // Eq. 12 (dp)
        const zPf = ((pf[i] as number) - p.mean) / Math.max(p.std, floor); // Eq. 12 (pf)
        s[i] = wDp * zDp + wPf * zPf; // Eq. 13
      }
    }
  } else {
    const all = kept.flat();
    if (all.length > 0) {
      const globalStd = meanStd(all.map((i) => raw[i] as number)).std;
      for (const idx of kept) {
        const { mean } = meanStd(idx.map((i) => raw[i] as number));
        for (const i of idx) s[i] = ((raw[i] as number) - mean) / (globalStd + RAW_SUM_EPS);
      }
    }
  }
  return { s, raw, valid, nanCount, droppedGroups };
}
