/**
 * From the judge's scores of one epoch to what the algorithm trains on (DESIGN §2 "advantage"), in
 * three visible steps:
 *   combine: the objectives by the run's reward recipe, the same for every algorithm (`reward.recipe`:
 *            Eq. 12–13 "standardized" by default, or the weighted "raw-sum" with group mean / global
 *            std, the ablation arm; src/reward aggregate.ts); NaN scores are masked;
 *   signal:  the algorithm's per-sample loss input from the combined rewards (advantages.ts);
 *   filter:  the algorithm's group filter, if any, masks this epoch's groups (and records exclusions).
 * Groups are keyed by sample id.
 */
import { aggregateRewards, type AggregationRecipe } from "../../reward/aggregate.js";
import type { PreferencePair } from "../advantages.js";
import type { GroupFilter, ResolvedAlgorithm } from "../recipe.js";

export interface EpochSignal {
  /** Per sample: the loss's per-sample input (the recipe's signal: an advantage, a probability or a label); NaN-free. */
  value: number[];
  /** Per sample: 1 when the sample is trained on. */
  mask: number[];
  /** Preference pairs (pair losses), otherwise empty. */
  pairs: PreferencePair[];
  /** The advantage shown in reports per sample (null where masked). */
  shownAdv: (number | null)[];
  /** Raw combined reward w_dp·dp + w_pf·pf per sample (NaN where a score failed). */
  raw: number[];
  nanCount: number;
  droppedGroups: number;
}

/** The run's reward mechanism (train config `reward`): the same for every algorithm (DESIGN §4). */
export interface RewardMechanism {
  /** Eq. 12–13 "standardized" (default) or the weighted "raw-sum" (the ablation arm). */
  recipe: AggregationRecipe;
  /** w_dp of Eq. 13. */
  wDp: number;
}

export function epochSignal(algorithm: ResolvedAlgorithm, dp: readonly number[], pf: readonly number[], groups: readonly string[], reward: RewardMechanism, filter: GroupFilter | null): EpochSignal {
  const combined = aggregateRewards(dp, pf, groups, { wDp: reward.wDp, recipe: reward.recipe }); // Eq. 12–13 or the raw sum
  const s = algorithm.signal(combined, groups);
  let { mask, pairs } = s;
  if (filter) {
    const kept = filter.update(groups, combined.raw).valid;
    mask = mask.map((m, i) => m * (kept[i] as number));
    pairs = pairs.filter((p) => kept[p.winner] === 1 && kept[p.loser] === 1);
  }
  return { value: s.value, mask, pairs, shownAdv: s.shown, raw: combined.raw, nanCount: combined.nanCount, droppedGroups: combined.droppedGroups };
}
