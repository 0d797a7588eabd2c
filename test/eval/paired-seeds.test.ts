import { describe, expect, it } from "vitest";
import type { EvalJson, MetricName, MetricsBlock } from "../../src/eval/format.js";
import { METRIC_NAMES } from "../../src/eval/format.js";
import { formatPairedCell, pairedBySeed, pairedSeedMarkdown, pairedSeedTable } from "../../src/eval/paired-seeds.js";
import { TABLE_COLUMNS } from "../../src/eval/tables.js";
import { evalMeta } from "./fixtures.js";

function fakeEval(method: string, seed: number, means: Partial<Record<MetricName, number | null>>): EvalJson {
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((m) => [m, means[m] === undefined || means[m] === null ? { mean: null, ci95: null, n: 0 } : { mean: means[m]!, ci95: [means[m]! - 0.1, means[m]! + 0.1], n: 50 }]),
  ) as MetricsBlock;
  return { kind: "portraitrl-eval", version: 1, ...evalMeta(method, seed), created_at: "2026-12-04T00:00:00Z", metrics };
}

/** t_{0.975, 4} (tables) and t_{0.975, 2}. */
const T4 = 2.7764451051977987;
const T2 = 4.302652729749464;

describe("pairedBySeed", () => {
  const sftDp = [0.5, 0.52, 0.48, 0.51, 0.49];
  const naspoDp = [0.53, 0.54, 0.5, 0.55, 0.5];
  const sft = sftDp.map((dp, k) => fakeEval("sft", k, { judge_dp: dp, psnr: 10 + k }));
  const naspo = naspoDp.map((dp, k) => fakeEval("naspo", k, { judge_dp: dp, psnr: k === 1 ? null : 10 + k - 0.5 * (k + 1) }));

  it("differences of the seed-k means, t interval over seeds (hand golden)", () => {
    // d = 0.03, 0.02, 0.02, 0.04, 0.01: mean 0.024, sample sd √(5.2e-4 / 4)
    const c = pairedBySeed(naspo, sft, "judge_dp");
    const half = (T4 * Math.sqrt(5.2e-4 / 4)) / Math.sqrt(5);
    expect(c.mean).toBeCloseTo(0.024, 12);
    expect(c.ci95![0]).toBeCloseTo(0.024 - half, 9);
    expect(c.ci95![1]).toBeCloseTo(0.024 + half, 9);
    expect(c.n_seeds).toBe(5);
    expect(c.excludes_zero).toBe(true);
    // unpaired, the two rows' 95% intervals overlap: pairing is what separates them
    expect(0.024 - half).toBeGreaterThan(0.009);
  });

  it("pairs by seed, not by position, and drops a seed without a value in both", () => {
    // psnr differences: seed0 −0.5, seed2 −1.5, seed3 −2, seed4 −2.5 (seed 1 null in naspo); given shuffled
    const c = pairedBySeed([...naspo].reverse(), [sft[3]!, sft[0]!, sft[4]!, sft[2]!], "psnr");
    const d = [-0.5, -1.5, -2, -2.5];
    const mean = d.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / 3);
    expect(c.n_seeds).toBe(4);
    expect(c.mean).toBeCloseTo(-1.625, 12);
    expect(c.ci95![1]).toBeCloseTo(mean + (3.182446305284263 * sd) / 2, 9);
    expect(c.excludes_zero).toBe(true);
  });

  it("an interval across 0 is not marked; one seed has no interval; none is null", () => {
    const a = [0.1, 0.3, 0.2].map((v, k) => fakeEval("a", k, { judge_pf: v }));
    const b = [0.2, 0.1, 0.2].map((v, k) => fakeEval("b", k, { judge_pf: v }));
    const c = pairedBySeed(a, b, "judge_pf");
    // d = −0.1, 0.2, 0: mean 1/30, squared deviations sum to 0.14/3, sd √(0.14/3 / 2)
    const half = (T2 * Math.sqrt(0.14 / 3 / 2)) / Math.sqrt(3);
    expect(c.mean).toBeCloseTo(1 / 30, 12);
    expect(c.ci95![0]).toBeCloseTo(1 / 30 - half, 9);
    expect(c.excludes_zero).toBe(false);
    expect(pairedBySeed(a.slice(0, 1), b, "judge_pf")).toEqual({ mean: expect.closeTo(-0.1, 12), ci95: null, n_seeds: 1, excludes_zero: null });
    expect(pairedBySeed(a, b, "ssim")).toEqual({ mean: null, ci95: null, n_seeds: 0, excludes_zero: null });
  });
});

describe("pairedSeedTable", () => {
  const rows = [
    { method: "sft", label: "+SFT", evals: [0, 1].map((k) => fakeEval("sft", k, { judge_dp: 0.5 + k / 100 })) },
    { method: "naspo", label: "+NaSPO", evals: [0, 1].map((k) => fakeEval("naspo", k, { judge_dp: 0.6 + k / 50 })) },
    { method: "empty", label: "empty", evals: [] },
  ];

  it("every other row with evals against the baseline; null without the baseline", () => {
    const t = pairedSeedTable(rows, "sft")!;
    expect(t.rows.map((r) => r.method)).toEqual(["naspo"]);
    expect(t.rows[0]!.cells.judge_dp!.mean).toBeCloseTo(0.105, 12);
    expect(Object.keys(t.rows[0]!.cells)).toEqual(["judge_dp", "judge_pf", "mse", "psnr", "ssim", "mse_figure", "psnr_figure", "ssim_figure"]);
    expect(pairedSeedTable(rows, "flow-grpo")).toBeNull();
  });

  it("markdown: signed means, intervals, * where 0 is excluded", () => {
    expect(formatPairedCell({ mean: 0.024, ci95: [0.0098, 0.0382], n_seeds: 5, excludes_zero: true })).toBe("+0.0240 [+0.0098, +0.0382]*");
    expect(formatPairedCell({ mean: -0.01, ci95: [-0.03, 0.01], n_seeds: 5, excludes_zero: false })).toBe("−0.0100 [−0.0300, +0.0100]");
    const md = pairedSeedMarkdown(pairedSeedTable(rows, "sft")!, "Table 1", TABLE_COLUMNS);
    expect(md).toContain("row − +SFT, paired by training seed");
    expect(md).toContain("| Row | Judge-DP | Judge-PF | MSE ↓ | PSNR | SSIM | Fig-MSE ↓ | Fig-PSNR | Fig-SSIM |");
    expect(md).toMatch(/\| \+NaSPO \| \+0\.1050 \[\+0\.\d{4}, \+0\.\d{4}\]\* \| — \|/);
  });
});
