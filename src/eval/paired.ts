/**
 * Paired differences between two evals of the same records (after − before), as `portraitrl demo`
 * reports them beside Table 1: per metric, the mean difference over the records that have a value in
 * both, with a percentile bootstrap CI that resamples those records (seeded). Each record's difficulty
 * is shared by both evals and cancels, so this interval is narrower than the two per-eval intervals.
 */
import { METRIC_NAMES, type MetricName, type MetricSummary, type SampleRow } from "./format.js";
import { metricValue, summarizeValues } from "./summary.js";

export type PairedDifferences = Record<MetricName, MetricSummary>;

export function pairedDifferences(before: readonly SampleRow[], after: readonly SampleRow[], seed = 0): PairedDifferences {
  const byId = new Map(before.map((s) => [s.id, s]));
  const pairs = after.flatMap((a) => {
    const b = byId.get(a.id);
    return b ? [[b, a] as const] : [];
  });
  return Object.fromEntries(
    METRIC_NAMES.map((m) => {
      const diffs: number[] = [];
      for (const [b, a] of pairs) {
        const vb = metricValue(b, m);
        const va = metricValue(a, m);
        if (vb !== null && va !== null) diffs.push(va - vb);
      }
      return [m, summarizeValues(diffs, seed)];
    }),
  ) as PairedDifferences;
}

const signed = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(4)}`;

/** One line per metric that has pairs: `judge_dp +0.0347 [+0.0262, +0.0431] (n = 600)`. */
export function pairedLines(d: PairedDifferences): string[] {
  return METRIC_NAMES.flatMap((m) => {
    const s = d[m];
    if (s.mean === null) return [];
    const ci = s.ci95 ? ` [${signed(s.ci95[0])}, ${signed(s.ci95[1])}]` : "";
    return [`${m} ${signed(s.mean)}${ci} (n = ${s.n})`];
  });
}
