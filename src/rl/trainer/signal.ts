/**
 * From the judge's scores of one epoch to what the algorithm trains on (DESIGN §2 "advantage"):
 * the objectives are combined by the algorithm's recipe (Eq. 12–13 for NaSPO, the weighted raw sum
 * with group mean / global std for the baselines), then turned into its signal (advantages.ts).
 * Groups are keyed by sample id. NaN scores are masked; UniWorld-V2's ban rule masks low-variance groups.
 */
import { aggregateRewards } from "../../reward/aggregate.js";
import type { ResolvedAlgorithm } from "../algorithms.js";
import { bestWorstPairs, ktoLabels, naspoAdvantages, nftOptimality, type PreferencePair } from "../advantages.js";
import type { GroupBanTracker, UniworldV2Config } from "../uniworld-v2.js";
import type { DiffusionNftConfig } from "../diffusion-nft.js";

export interface EpochSignal {
  /** Per sample: the loss's per-sample input (Adv for NaSPO, r for NFT, A for GRPO, label for KTO); NaN-free. */
  value: number[];
  /** Per sample: 1 when the sample is trained on. */
  mask: number[];
  /** Online DPO/DSPO pairs (best and worst of each group). */
  pairs: PreferencePair[];
  /** The advantage shown in reports per sample (null where masked). */
  shownAdv: (number | null)[];
  /** Raw combined reward w_dp·dp + w_pf·pf per sample (NaN where a score failed). */
  raw: number[];
  nanCount: number;
  droppedGroups: number;
  newlyBanned: string[];
}

export function epochSignal(algo: ResolvedAlgorithm, dp: readonly number[], pf: readonly number[], groups: readonly string[], wDp: number, ban: GroupBanTracker | null): EpochSignal {
  const agg = aggregateRewards(dp, pf, groups, { wDp, recipe: algo.rewardRecipe });
  const raw = dp.map((d, i) => wDp * d + (1 - wDp) * (pf[i] as number)); // Eq. 13 on the raw scores
  const n = dp.length;
  const validMask: number[] = agg.valid.map((v) => (v ? 1 : 0));
  const finite = (x: number): number => (Number.isFinite(x) ? x : 0);
  let value = new Array<number>(n).fill(0);
  let mask = validMask;
  let pairs: PreferencePair[] = [];
  let shown: (number | null)[] = agg.s.map((s, i) => (validMask[i] ? s : null));
  let newlyBanned: string[] = [];
  switch (algo.signal) {
    case "naspo": {
      const a = naspoAdvantages(agg.s, groups); // (14)
      value = a.adv;
      mask = a.mask;
      shown = a.adv.map((x, i) => (a.mask[i] ? x : null));
      break;
    }
    case "nft": {
      if (ban) {
        const u = ban.update([...groups], raw);
        mask = mask.map((m, i) => m * (u.valid[i] as number));
        newlyBanned = u.newlyBanned;
      }
      value = nftOptimality(agg.s.map(finite), (algo.config as DiffusionNftConfig | UniworldV2Config).advClipMax); // r = ½ + ½·clip(A/Amax)
      break;
    }
    case "grpo":
      value = agg.s.map(finite);
      break;
    case "kto": {
      const k = ktoLabels(agg.s.map(finite), validMask);
      value = k.label;
      mask = k.mask;
      break;
    }
    case "pairs":
      pairs = bestWorstPairs(agg.s, groups, validMask);
      mask = new Array<number>(n).fill(0);
      for (const p of pairs) {
        mask[p.winner] = 1;
        mask[p.loser] = 1;
      }
      break;
  }
  return { value, mask, pairs, shownAdv: shown, raw, nanCount: agg.nanCount, droppedGroups: agg.droppedGroups, newlyBanned };
}
