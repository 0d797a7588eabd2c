import { describe, expect, it } from "vitest";
import type { SampleScores } from "../../src/eval/format.js";
import { METRIC_NAMES } from "../../src/eval/format.js";
import { evalSummary, summarizeSamples } from "../../src/eval/summary.js";

/** Independent percentile bootstrap: mulberry32 written out from its published definition, type-7 quantiles. */
function referenceBootstrap(values: number[], seed: number, resamples: number): [number, number] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = values.length;
  const means: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(next() * n)]!;
    means.push(s / n);
  }
  means.sort((x, y) => x - y);
  const q = (p: number) => {
    const h = (means.length - 1) * p;
    const lo = Math.floor(h);
    return means[lo]! + (h - lo) * (means[Math.ceil(h)]! - means[lo]!);
  };
  return [q(0.025), q(0.975)];
}

function row(over: Partial<SampleScores>): SampleScores {
  return { judge_dp: null, judge_pf: null, gt_pose: null, gt_oks: null, gt_detail: null, copy_paste: null, ...over };
}

describe("summarizeSamples", () => {
  const dp = [0.9, 0.7, 0.85, 0.6, 0.95, 0.8, 0.75, 0.65];
  const samples = dp.map((v, i) =>
    row({ judge_dp: v, judge_pf: i === 3 ? Number.NaN : i / 10, gt_pose: i % 2 ? 1 : 0.5, copy_paste: i === 0 ? null : i % 4 === 0, clip_i: i < 2 ? 0.8 : null }),
  );

  it("gives the mean and the seeded bootstrap CI an independent implementation gives", () => {
    const m = summarizeSamples(samples, 7);
    expect(m.judge_dp.mean).toBeCloseTo(dp.reduce((a, b) => a + b, 0) / dp.length, 12);
    expect(m.judge_dp.n).toBe(8);
    const [lo, hi] = referenceBootstrap(dp, 7, 2000);
    expect(m.judge_dp.ci95![0]).toBeCloseTo(lo, 12);
    expect(m.judge_dp.ci95![1]).toBeCloseTo(hi, 12);
    expect(m.judge_dp.ci95![0]).toBeLessThan(m.judge_dp.mean!);
    expect(m.judge_dp.ci95![1]).toBeGreaterThan(m.judge_dp.mean!);
  });

  it("leaves out NaN and null values instead of counting them as 0", () => {
    const m = summarizeSamples(samples, 0);
    expect(m.judge_pf.n).toBe(7);
    expect(m.judge_pf.mean).toBeCloseTo((0 + 0.1 + 0.2 + 0.4 + 0.5 + 0.6 + 0.7) / 7, 12);
    expect(m.clip_i).toEqual({ mean: 0.8, ci95: [0.8, 0.8], n: 2 });
    expect(m.dino_i).toEqual({ mean: null, ci95: null, n: 0 });
    expect(m.gt_oks).toEqual({ mean: null, ci95: null, n: 0 });
  });

  it("turns copy_paste booleans into a rate", () => {
    const m = summarizeSamples(samples, 0);
    // ids 1..7 have a value; true for i = 4 only.
    expect(m.copy_paste_rate.n).toBe(7);
    expect(m.copy_paste_rate.mean).toBeCloseTo(1 / 7, 12);
  });

  it("is deterministic per seed and has every metric name", () => {
    expect(summarizeSamples(samples, 3)).toEqual(summarizeSamples(samples, 3));
    expect(summarizeSamples(samples, 3).judge_dp.ci95).not.toEqual(summarizeSamples(samples, 4).judge_dp.ci95);
    expect(Object.keys(evalSummary(samples)).sort()).toEqual([...METRIC_NAMES].sort());
    expect(evalSummary(samples)).toEqual(summarizeSamples(samples, 0));
  });

  it("covers the normal-theory interval on a large sample", () => {
    const values = Array.from({ length: 400 }, (_, i) => ((i * 37) % 101) / 100);
    const m = summarizeSamples(values.map((v) => row({ gt_detail: v })), 1).gt_detail;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    const half = (m.ci95![1] - m.ci95![0]) / 2;
    expect(half).toBeGreaterThan(0.85 * 1.96 * sd / 20);
    expect(half).toBeLessThan(1.15 * 1.96 * sd / 20);
  });
});
