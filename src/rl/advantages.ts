/**
 * From per-sample rewards to what the losses take, outside `jit` (plain numbers). Rewards come from
 * the judge (src/reward): for NaSPO the Eq. 13 combination s of the within-group standardised
 * objectives; for the baselines the weighted raw sum. NaN is a failed judgement: that sample is
 * masked (weight 0), and a group left with fewer than 2 valid samples contributes nothing.
 * std is the population std (ddof 0, as numpy in the reference trackers).
 *
 *   (14) Adv = ½ + ½·clip((s − mean_G(s)) / max(std_G(s), 1e-6), −1, 1)              NaSPO
 *        A   = (R − mean_G(R)) / (std_batch(R) + 1e-4)    the baselines' raw sum (src/reward aggregate.ts)
 *        r   = ½ + ½·clip(A / Amax, −1, 1)                                   DiffusionNFT (Amax = 5)
 * Flow-GRPO clips A to ±5 inside its loss; DPO/DSPO pair the best and worst sample of each group;
 * KTO labels a sample desirable when A > 0 and undesirable when A < 0.
 */
import type { Aggregated } from "../reward/aggregate.js";
import { groupMembers, meanStd } from "../runtime/group-stats.js";

export interface GroupAdvantages {
  /** Per sample; the neutral value (½ for a probability, 0 for a raw advantage) where masked. */
  adv: number[];
  /** 1 for a sample that carries loss weight, 0 otherwise. */
  mask: number[];
  /** Groups that had fewer than 2 valid samples. */
  droppedGroups: number;
}

export interface NaspoAdvantages extends GroupAdvantages {
  /** The within-group z-score before clipping (0 where masked). */
  z: number[];
}

/** Indices of the valid samples of each group that has at least 2 of them, and the dropped count. */
function validGroups(values: readonly number[], groups: readonly (string | number)[], mask?: readonly number[]): { kept: number[][]; dropped: number } {
  if (values.length !== groups.length) throw new Error(`advantages: ${values.length} values vs ${groups.length} group keys`);
  if (mask && mask.length !== values.length) throw new Error(`advantages: ${values.length} values vs ${mask.length} mask entries`);
  const all = [...groupMembers(groups, (i) => Number.isFinite(values[i]) && (mask?.[i] ?? 1) !== 0).values()];
  const kept = all.filter((idx) => idx.length >= 2);
  return { kept, dropped: all.length - kept.length };
}

/** Eq. 14 on the combined rewards s (Eq. 13), with the std floor of DESIGN §4. */
export function naspoAdvantages(s: readonly number[], groups: readonly (string | number)[], stdFloor = 1e-6): NaspoAdvantages {
  const n = s.length;
  const adv = new Array<number>(n).fill(0.5);
  const z = new Array<number>(n).fill(0);
  const mask = new Array<number>(n).fill(0);
  const { kept, dropped } = validGroups(s, groups);
  for (const idx of kept) {
    const { mean, std } = meanStd(idx.map((i) => s[i] as number));
    for (const i of idx) {
      const zi = ((s[i] as number) - mean) / Math.max(std, stdFloor);
      z[i] = zi;
      adv[i] = 0.5 + 0.5 * Math.min(1, Math.max(-1, zi)); // (14)
      mask[i] = 1;
    }
  }
  return { adv, z, mask, droppedGroups: dropped };
}

/** DiffusionNFT's optimality probability r = ½ + ½·clip(A/Amax, −1, 1). */
export function nftOptimality(adv: readonly number[], amax = 5): number[] {
  return adv.map((a) => 0.5 + 0.5 * Math.min(1, Math.max(-1, a / amax)));
}

/** Diffusion-KTO labels from raw advantages: 1 if A > 0, 0 if A < 0; A = 0 or masked → mask 0. */
export function ktoLabels(adv: readonly number[], mask: readonly number[]): { label: number[]; mask: number[] } {
  return {
    label: adv.map((a) => (a > 0 ? 1 : 0)),
    mask: adv.map((a, i) => (mask[i] !== 0 && a !== 0 && Number.isFinite(a) ? 1 : 0)),
  };
}

export interface PreferencePair {
  group: string | number;
  winner: number;
  loser: number;
}

/** Online DPO/DSPO pairs: the best and the worst valid sample of each group (first index on ties); none for a flat group. */
export function bestWorstPairs(scores: readonly number[], groups: readonly (string | number)[], mask?: readonly number[]): PreferencePair[] {
  const { kept } = validGroups(scores, groups, mask);
  const pairs: PreferencePair[] = [];
  for (const idx of kept) {
    let winner = idx[0] as number;
    let loser = winner;
    for (const i of idx) {
      if ((scores[i] as number) > (scores[winner] as number)) winner = i;
      if ((scores[i] as number) < (scores[loser] as number)) loser = i;
    }
    if (winner !== loser && (scores[winner] as number) > (scores[loser] as number)) pairs.push({ group: groups[winner] as string | number, winner, loser });
  }
  return pairs;
}

/** What an algorithm trains on, per sample, from one epoch's combined rewards (its `signal`). */
export interface SignalParts {
  /** The loss's per-sample input (Adv, r, A or a label); NaN-free. */
  value: number[];
  /** 1 where the sample is trained on. */
  mask: number[];
  /** Preference pairs (pair losses), otherwise empty. */
  pairs: PreferencePair[];
  /** The advantage shown in reports (null where masked). */
  shown: (number | null)[];
}

/** Combined rewards s (Eq. 13 or the raw sum, src/reward aggregate.ts) and group keys → what the loss takes. */
export type SignalFn = (agg: Aggregated, groups: readonly string[]) => SignalParts;

const finite = (x: number): number => (Number.isFinite(x) ? x : 0);

/** The parts every signal starts from: the valid samples, s shown where valid, no value yet. */
function base(agg: Aggregated): SignalParts & { valid: number[] } {
  const valid = agg.valid.map((v) => (v ? 1 : 0));
  return { value: new Array<number>(agg.s.length).fill(0), mask: valid, pairs: [], shown: agg.s.map((s, i) => (valid[i] ? s : null)), valid };
}

/** NaSPO: Adv of Eq. 14. */
export const eq14Signal: SignalFn = (agg, groups) => {
  const a = naspoAdvantages(agg.s, groups); // (14)
  return { ...base(agg), value: a.adv, mask: a.mask, shown: a.adv.map((x, i) => (a.mask[i] ? x : null)) };
};

/** DiffusionNFT / UniWorld-V2: r = ½ + ½·clip(A/Amax, −1, 1). */
export function nftSignal(amax: number): SignalFn {
  return (agg) => ({ ...base(agg), value: nftOptimality(agg.s.map(finite), amax) });
}

/** Flow-GRPO: the advantage A itself (clipped inside the loss). */
export const rawAdvantageSignal: SignalFn = (agg) => ({ ...base(agg), value: agg.s.map(finite) });

/** Diffusion-KTO: labels from the sign of A. */
export const ktoSignal: SignalFn = (agg) => {
  const b = base(agg);
  const k = ktoLabels(agg.s.map(finite), b.valid);
  return { ...b, value: k.label, mask: k.mask };
};

/** DSPO / Flow-DPO: the best and worst sample of each group; only they are trained on. */
export const pairSignal: SignalFn = (agg, groups) => {
  const b = base(agg);
  const pairs = bestWorstPairs(agg.s, groups, b.valid);
  const mask = new Array<number>(agg.s.length).fill(0);
  for (const p of pairs) {
    mask[p.winner] = 1;
    mask[p.loser] = 1;
  }
  return { ...b, pairs, mask };
};
