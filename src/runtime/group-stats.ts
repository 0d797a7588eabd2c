/**
 * Within-group statistics, the one helper behind Eq. 12, Eq. 14, the baselines' group mean / global
 * std, UniWorld-V2's low-variance rule and the metrics' std-in-group. The std is the population std
 * (ddof 0, as numpy in the reference trackers).
 */

/** The indices of each group key, in order of first appearance; `keep(i)` false leaves index i out. */
export function groupMembers<K>(keys: readonly K[], keep: (i: number) => boolean = () => true): Map<K, number[]> {
  const members = new Map<K, number[]>();
  keys.forEach((k, i) => {
    const list = members.get(k) ?? [];
    if (keep(i)) list.push(i);
    members.set(k, list);
  });
  return members;
}

/**
 * Mean and population std, accumulated relative to `shift` (default: the first value, so that a flat
 * group gives exactly 0 deviations). `shift` 0 is the plain sum / n.
 */
export function meanStd(xs: readonly number[], shift = xs[0] ?? 0): { mean: number; std: number } {
  const mean = shift + xs.reduce((a, x) => a + (x - shift), 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
  return { mean, std: Math.sqrt(variance) };
}
