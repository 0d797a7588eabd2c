/**
 * From per-sample rewards to what the losses take, outside `jit` (plain numbers). Rewards come from
 * the judge (src/reward): for NaSPO the Eq. 13 combination s of the within-group standardised
 * objectives; for the baselines the weighted raw sum. NaN is a failed judgement: that sample is
 * masked (weight 0), and a group left with fewer than 2 valid samples contributes nothing.
 * std is the population std (ddof 0, as numpy in the reference trackers).
 *
 *   (14) Adv = ½ + ½·clip((s − mean_G(s)) / max(std_G(s), 1e-6), −1, 1)              NaSPO
 *        A   = (R − mean_G(R)) / (std_batch(R) + 1e-4)                       DiffusionNFT, Flow-GRPO,
 *                                                                             UniWorld-V2 (stat_tracking)
 *        r   = ½ + ½·clip(A / Amax, −1, 1)                                   DiffusionNFT (Amax = 5)
 * Flow-GRPO clips A to ±5 inside its loss; DPO/DSPO pair the best and worst sample of each group;
 * KTO labels a sample desirable when A > 0 and undesirable when A < 0.
 */
import { np, type JaxArray } from "../runtime/jax.js";

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

/** Mean and population std, shifted by the first value so that a flat group gives exactly 0 deviations. */
function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const x0 = xs[0] ?? 0;
  const mean = x0 + xs.reduce((a, x) => a + (x - x0), 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) };
}

/** Indices of the valid samples of each group that has at least 2 of them, and the dropped count. */
function validGroups(values: readonly number[], groups: readonly (string | number)[], mask?: readonly number[]): { kept: number[][]; dropped: number } {
  if (values.length !== groups.length) throw new Error(`advantages: ${values.length} values vs ${groups.length} group keys`);
  if (mask && mask.length !== values.length) throw new Error(`advantages: ${values.length} values vs ${mask.length} mask entries`);
  const members = new Map<string | number, number[]>();
  groups.forEach((g, i) => {
    const list = members.get(g) ?? [];
    if (Number.isFinite(values[i]) && (mask?.[i] ?? 1) !== 0) list.push(i);
    members.set(g, list);
  });
  const all = [...members.values()];
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

export interface GroupMeanOptions {
  /** Divide by the std of the whole batch (default, `sample.global_std`) or of each group. */
  globalStd?: boolean;
  /** Added to the std (1e-4 in the reference trackers). */
  eps?: number;
}

/** The baselines' recipe: per-group mean, global (or per-group) std + eps. */
export function groupMeanGlobalStd(rewards: readonly number[], groups: readonly (string | number)[], opts: GroupMeanOptions = {}): GroupAdvantages {
  const { globalStd = true, eps = 1e-4 } = opts;
  const n = rewards.length;
  const adv = new Array<number>(n).fill(0);
  const mask = new Array<number>(n).fill(0);
  const { kept, dropped } = validGroups(rewards, groups);
  const batchStd = kept.length > 0 ? meanStd(kept.flat().map((i) => rewards[i] as number)).std : 0;
  for (const idx of kept) {
    const { mean, std } = meanStd(idx.map((i) => rewards[i] as number));
    const denom = (globalStd ? batchStd : std) + eps;
    for (const i of idx) {
      adv[i] = ((rewards[i] as number) - mean) / denom;
      mask[i] = 1;
    }
  }
  return { adv, mask, droppedGroups: dropped };
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

/**
 * Per-sample loss weights `mask / denominator`; the denominator defaults to the number of valid
 * samples, so `Σ w·l` is the masked mean. For gradient accumulation pass the valid count of the whole
 * optimizer step (times the timesteps per sample) so the accumulated gradient is that mean.
 */
export function lossWeights(mask: readonly number[], denominator?: number): Float32Array {
  const count = denominator ?? mask.reduce((a, m) => a + (m !== 0 ? 1 : 0), 0);
  return Float32Array.from(mask, (m) => (m !== 0 && count > 0 ? m / count : 0));
}

/** A per-sample array for a loss input (float32 `[n]`). */
export function toArray(xs: readonly number[] | Float32Array): JaxArray {
  return np.array(Float32Array.from(xs));
}
