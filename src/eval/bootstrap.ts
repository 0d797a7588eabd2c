/**
 * Percentile bootstrap confidence intervals with a seeded generator, so that a CI is reproducible from
 * the seed recorded beside it. The statistic sees a resample as an index array into the original units.
 */
import { mulberry32 } from "../runtime/mulberry32.js";

export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** Seed of the resampling generator (default 0). */
  seed?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
}

/** A point estimate with its bootstrap interval; null when there are too few units to estimate. */
export interface Estimate {
  value: number | null;
  ci95: [number, number] | null;
  n: number;
}

/** Linear-interpolated quantile (type 7) of an ascending-sorted array. */
export function sortedQuantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("sortedQuantile: empty array");
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Percentile interval of `statistic` over `resamples` resamples of n units drawn with replacement.
 * Resamples where the statistic is not finite (e.g. a correlation of a constant resample) are dropped;
 * when more than half are dropped, or n < 2, there is no interval (null).
 */
export function bootstrapCi(
  n: number,
  statistic: (indices: Uint32Array) => number,
  opts: BootstrapOptions = {},
): [number, number] | null {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  if (n < 2 || resamples < 1) return null;
  const uniform = mulberry32(opts.seed ?? 0);
  const idx = new Uint32Array(n);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) idx[i] = Math.floor(uniform() * n);
    const s = statistic(idx);
    if (Number.isFinite(s)) stats.push(s);
  }
  if (stats.length * 2 < resamples) return null;
  stats.sort((x, y) => x - y);
  const alpha = (1 - level) / 2;
  return [sortedQuantile(stats, alpha), sortedQuantile(stats, 1 - alpha)];
}

/** Mean of `values` with a percentile bootstrap interval over its elements. */
export function meanEstimate(values: readonly number[], opts: BootstrapOptions = {}): Estimate {
  const n = values.length;
  if (n === 0) return { value: null, ci95: null, n };
  let sum = 0;
  for (const v of values) sum += v;
  const ci95 = bootstrapCi(
    n,
    (idx) => {
      let s = 0;
      for (const i of idx) s += values[i]!;
      return s / n;
    },
    opts,
  );
  return { value: sum / n, ci95, n };
}
