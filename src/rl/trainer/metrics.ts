/**
 * The metrics.jsonl line of one RL epoch (scratch/FORMATS.md), plus a few extra keys the format allows
 * readers to ignore: nan_steps (optimizer steps skipped for a NaN loss so far), dropped_groups,
 * banned_groups (excluded by the recipe's group filter), reward_recipe (the run's `reward.recipe`),
 * sigma_quantiles (the σ of Eq. 15 the loss used, when it reports one: σ(Δ), σ(Δ̃) or ½) and the algorithm's own diagnostics (`extra`).
 */
import { groupMembers, meanStd } from "../../runtime/group-stats.js";
import type { AggregationRecipe } from "../../reward/aggregate.js";
import type { EpochSignal } from "./signal.js";

export interface StepStats {
  loss: number;
  gradNorm: number;
  skipped: boolean;
  /** Row-weighted means of the loss's scalar diagnostics. */
  scalars: Record<string, number>;
  /** Per-row diagnostics (Δ and σ(Δ), when the loss reports them). */
  rows: Record<string, number[]>;
}

export interface EpochMetrics {
  epoch: number;
  step: number;
  time_s: number;
  reward: { dp_mean: number | null; pf_mean: number | null; s_mean: number | null };
  /** How DP and PF were combined this epoch (the run's `reward.recipe`, the same for every algorithm). */
  reward_recipe: AggregationRecipe;
  dp_std_in_group: number | null;
  pf_std_in_group: number | null;
  nan_count: number;
  old_deviate: number | null;
  kl: number | null;
  delta_quantiles: [number, number, number] | null;
  clip_fraction: number | null;
  loss: number | null;
  grad_norm: number | null;
  seconds: { rollout: number; judge: number; update: number };
  nan_steps: number;
  dropped_groups: number;
  banned_groups: number;
  sigma_quantiles: [number, number, number] | null;
  extra: Record<string, number>;
  /** The validation point after this epoch (config `validation`), when one was due. */
  val?: ValidationPoint;
}

/**
 * One point of the validation curve: the eval EMA of the LoRA after `epochs` epochs, scored on the first
 * `n` val records; `means` by metric name (eval.json's names), `seconds` what it cost.
 */
export interface ValidationPoint {
  epochs: number;
  n: number;
  seconds: number;
  means: Record<string, number | null>;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

function mean(xs: readonly number[]): number | null {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : null;
}

/** Linear-interpolation quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function quantiles(xs: readonly number[]): [number, number, number] | null {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? [quantile(s, 0.1), quantile(s, 0.5), quantile(s, 0.9)] : null;
}

/** Mean over groups of the population std of the group's finite values (groups with ≥ 2 of them). */
function stdInGroup(xs: readonly number[], groups: readonly string[]): number | null {
  const members = [...groupMembers(groups, (i) => Number.isFinite(xs[i])).values()].filter((idx) => idx.length >= 2);
  return mean(members.map((idx) => meanStd(idx.map((i) => xs[i] as number), 0).std));
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

export function epochMetrics(a: {
  epoch: number;
  step: number;
  timeS: number;
  dp: readonly number[];
  pf: readonly number[];
  groupKeys: readonly string[];
  signal: EpochSignal;
  steps: readonly StepStats[];
  seconds: { rollout: number; judge: number; update: number };
  rewardRecipe: AggregationRecipe;
  bannedGroups: number;
  nanSteps: number;
}): EpochMetrics {
  const done = a.steps.filter((s) => !s.skipped);
  const scalar = (k: string): number | null => mean(done.map((s) => s.scalars[k]).filter((x): x is number => x !== undefined));
  const rows = (k: string): number[] => a.steps.flatMap((s) => s.rows[k] ?? []);
  const extra: Record<string, number> = {};
  for (const k of ["approxKl", "ratioMean", "margin", "implicitAcc", "accuracy"]) {
    const v = scalar(k);
    if (v !== null) extra[k] = v;
  }
  return {
    epoch: a.epoch,
    step: a.step,
    time_s: round(a.timeS),
    reward: { dp_mean: mean(a.dp), pf_mean: mean(a.pf), s_mean: mean(a.signal.raw) },
    reward_recipe: a.rewardRecipe,
    dp_std_in_group: stdInGroup(a.dp, a.groupKeys),
    pf_std_in_group: stdInGroup(a.pf, a.groupKeys),
    nan_count: a.signal.nanCount,
    old_deviate: scalar("oldDeviate"),
    kl: scalar("kl"),
    delta_quantiles: quantiles(rows("delta")),
    clip_fraction: scalar("clipFrac"),
    loss: mean(a.steps.map((s) => s.loss)),
    grad_norm: mean(done.map((s) => finiteOrNull(s.gradNorm) ?? Number.NaN)),
    seconds: { rollout: round(a.seconds.rollout), judge: round(a.seconds.judge), update: round(a.seconds.update) },
    nan_steps: a.nanSteps,
    dropped_groups: a.signal.droppedGroups,
    banned_groups: a.bannedGroups,
    sigma_quantiles: quantiles(rows("sigma")),
    extra,
  };
}
