/**
 * Per-sample rows → the eval.json `metrics` block: per metric the mean over the samples that have a value,
 * its seeded percentile-bootstrap 95% CI (bootstrap.ts, 2000 resamples) and n. A null or non-finite value
 * (a failed judgement, no embedder) is left out, never counted as 0; a metric no sample has is null.
 * copy_paste_rate is the mean of the copy_paste booleans.
 */
import { meanEstimate } from "./bootstrap.js";
import { METRIC_NAMES, type MetricName, type MetricSummary, type MetricsBlock, type SampleScores } from "./format.js";

/** One sample's value of a metric (copy-paste as 0/1), or null when it has none. */
export function metricValue(s: SampleScores, metric: MetricName): number | null {
  const v = metric === "copy_paste_rate" ? (s.copy_paste === null ? null : s.copy_paste ? 1 : 0) : s[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function valuesOf(samples: readonly SampleScores[], metric: MetricName): number[] {
  const out: number[] = [];
  for (const s of samples) {
    const v = metricValue(s, metric);
    if (v !== null) out.push(v);
  }
  return out;
}

/** Mean and bootstrap CI of one list of values (the seed fixes the resamples). */
export function summarizeValues(values: readonly number[], seed: number): MetricSummary {
  const e = meanEstimate(values, { seed, resamples: 2000 });
  return { mean: e.value, ci95: e.ci95, n: e.n };
}

/** The eval.json `metrics` block of a list of sample rows. */
export function summarizeSamples(samples: readonly SampleScores[], seed: number): MetricsBlock {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, summarizeValues(valuesOf(samples, m), seed)])) as MetricsBlock;
}

/** The same with seed 0 (what `evalSummary(samples)` callers expect). */
export function evalSummary(samples: readonly SampleScores[]): MetricsBlock {
  return summarizeSamples(samples, 0);
}
