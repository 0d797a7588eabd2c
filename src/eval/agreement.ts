/**
 * Rank agreement between two paired score lists (human vs judge, rater vs rater): Spearman's ρ (Pearson
 * correlation of average ranks, so ties are handled) and Kendall's τ-b (tie-corrected), each with a
 * paired percentile-bootstrap interval that resamples the pairs.
 */
import { bootstrapCi, type BootstrapOptions, type Estimate } from "./bootstrap.js";

/** Ascending copy (a typed-array sort: numeric, no comparator). */
function sortedCopy(x: readonly number[]): Float64Array {
  return Float64Array.from(x).sort();
}

/** First index of `sorted` whose value is ≥ v (strict: > v). */
function bound(sorted: Float64Array, v: number, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v || (strict && sorted[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Ranks 1..n; tied values share the mean of the ranks they span. */
export function averageRanks(x: readonly number[]): number[] {
  const sorted = sortedCopy(x);
  return x.map((v) => (bound(sorted, v, false) + bound(sorted, v, true) + 1) / 2);
}

function checkPaired(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) throw new Error(`agreement: lengths differ (${x.length} vs ${y.length})`);
}

/** Pearson correlation; NaN when either list is constant or has fewer than 2 values. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  checkPaired(x, y);
  const n = x.length;
  if (n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's ρ = Pearson(rank(x), rank(y)) with average ranks for ties. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  checkPaired(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/** Tied pairs of a sorted sequence of length n: Σ t(t−1)/2 over runs where same(i) links i to i − 1. */
function tiedPairs(n: number, same: (i: number) => boolean): number {
  let pairs = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && same(i)) run++;
    else {
      pairs += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return pairs;
}

/** Sort `a` ascending in place (merge sort) and return the number of strict inversions it had. */
function sortCountingInversions(a: Float64Array): number {
  const n = a.length;
  let src: Float64Array = a;
  let dst: Float64Array = new Float64Array(n);
  let inversions = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[j]! < src[i]!) {
          inversions += mid - i;
          dst[k++] = src[j++]!;
        } else dst[k++] = src[i++]!;
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
  }
  if (src !== a) a.set(src);
  return inversions;
}

/**
 * Kendall's τ-b = (n_c − n_d) / √((n_0 − n_x)(n_0 − n_y)), n_0 = n(n−1)/2, n_x / n_y the pairs tied in
 * x / in y (a pair tied in both counts in both). NaN when either list is constant.
 * Knight's O(n log n) method: sort by (x, y); then n_c − n_d = n_0 − n_x − n_y + n_xy − 2·(inversions of y),
 * n_xy the pairs tied in both.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  checkPaired(x, y);
  const n = x.length;
  // Replace values by their lower-bound positions (ties keep equal codes) and sort the pairs by one key.
  const sx = sortedCopy(x);
  const sy = sortedCopy(y);
  const keys = Float64Array.from(x, (v, i) => bound(sx, v, false) * n + bound(sy, y[i]!, false)).sort();
  const xs = keys.map((k) => Math.floor(k / n));
  const ys = keys.map((k, i) => k - xs[i]! * n);
  const tiedX = tiedPairs(n, (i) => xs[i] === xs[i - 1]);
  const tiedXY = tiedPairs(n, (i) => xs[i] === xs[i - 1] && ys[i] === ys[i - 1]);
  const swaps = sortCountingInversions(ys);
  const tiedY = tiedPairs(n, (i) => ys[i] === ys[i - 1]);
  const n0 = (n * (n - 1)) / 2;
  const denom = Math.sqrt((n0 - tiedX) * (n0 - tiedY));
  return denom === 0 ? NaN : (n0 - tiedX - tiedY + tiedXY - 2 * swaps) / denom;
}

export interface Agreement {
  n: number;
  spearman: Estimate;
  kendall_tau_b: Estimate;
}

function estimate(
  x: readonly number[],
  y: readonly number[],
  f: (a: readonly number[], b: readonly number[]) => number,
  opts: BootstrapOptions,
): Estimate {
  const n = x.length;
  const v = n < 2 ? NaN : f(x, y);
  const ci95 = bootstrapCi(
    n,
    (idx) => {
      const a = Array.from(idx, (i) => x[i]!);
      const b = Array.from(idx, (i) => y[i]!);
      return f(a, b);
    },
    opts,
  );
  return { value: Number.isFinite(v) ? v : null, ci95: Number.isFinite(v) ? ci95 : null, n };
}

/** Spearman and Kendall τ-b of the pairs (x_i, y_i), each with a paired bootstrap interval (same seed). */
export function agreement(x: readonly number[], y: readonly number[], opts: BootstrapOptions = {}): Agreement {
  checkPaired(x, y);
  return {
    n: x.length,
    spearman: estimate(x, y, spearman, opts),
    kendall_tau_b: estimate(x, y, kendallTauB, opts),
  };
}
