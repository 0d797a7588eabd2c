import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalJson, MetricName, MetricsBlock } from "../../src/eval/format.js";
import { METRIC_NAMES } from "../../src/eval/format.js";
import { buildTable1, buildTable3, readCompareFolder, tableToMarkdown, tableToTerminal } from "../../src/eval/tables.js";
import { evalMeta, makeCompareFolder } from "./fixtures.js";

function fakeEval(method: string, seed: number, means: Partial<Record<MetricName, number>>): EvalJson {
  const metrics = Object.fromEntries(
    METRIC_NAMES.map((m) => [m, means[m] === undefined ? { mean: null, ci95: null, n: 0 } : { mean: means[m]!, ci95: [means[m]! - 0.01, means[m]! + 0.02], n: 50 }]),
  ) as MetricsBlock;
  return { kind: "portraitrl-eval", version: 1, ...evalMeta(method, seed), created_at: "2026-11-26T00:00:00Z", metrics };
}

describe("Table 1", () => {
  const sft = fakeEval("sft", 0, { judge_dp: 0.8717, judge_pf: 0.7928, copy_paste_rate: 0.3 });
  const nft = [0.88, 0.89, 0.9].map((dp, s) => fakeEval("diffusion-nft", s, { judge_dp: dp, judge_pf: 0.8067, copy_paste_rate: 0.2 }));
  const naspo = [fakeEval("naspo", 0, { judge_dp: 0.8929, judge_pf: 0.826, copy_paste_rate: 0.1 }), fakeEval("naspo", 1, { judge_dp: 0.8929, judge_pf: 0.826, copy_paste_rate: 0.12 })];
  const t = buildTable1([
    { method: "sft", evals: [sft] },
    { method: "diffusion-nft", evals: nft },
    { method: "naspo", evals: naspo },
  ]);

  it("uses one seed's own bootstrap CI, and a t interval over several seeds", () => {
    expect(t.rows[0]!.cells.judge_dp).toEqual({ mean: 0.8717, ci95: [0.8617, 0.8917], n_seeds: 1, n: 50 });
    const c = t.rows[1]!.cells.judge_dp;
    expect(c.mean).toBeCloseTo(0.89, 12);
    const half = 4.302652729749 * 0.01 / Math.sqrt(3); // sd of 0.88, 0.89, 0.90 is 0.01
    expect(c.ci95![0]).toBeCloseTo(0.89 - half, 9);
    expect(c.ci95![1]).toBeCloseTo(0.89 + half, 9);
    expect(c.n_seeds).toBe(3);
    expect(c.n).toBe(150);
    expect(t.rows[0]!.cells.clip_i).toEqual({ mean: null, ci95: null, n_seeds: 0, n: 0 });
  });

  it("ranks best and second best per column, lower first for copy-paste", () => {
    expect(t.best.judge_dp).toEqual([2]);
    expect(t.second.judge_dp).toEqual([1]);
    expect(t.best.copy_paste_rate).toEqual([2]);
    expect(t.second.copy_paste_rate).toEqual([1]);
    expect(t.best.clip_i).toEqual([]);
    expect(t.rows.map((r) => [r.label, r.paradigm])).toEqual([["+SFT", "SFT"], ["+DiffusionNFT", "RL"], ["+PortraitRL (NaSPO)", "RL"]]);
  });

  it("renders markdown with bold best, underlined second and dashes for missing metrics", () => {
    const md = tableToMarkdown(t);
    const lines = md.split("\n");
    expect(lines).toContain("| Method | Paradigm | CLIP-I | DINO-I | CLIP-T | Judge-DP | Judge-PF | Rec-pose | Rec-OKS | Rec-detail | Copy-paste ↓ | MSE ↓ | PSNR | SSIM | Fig-MSE ↓ | Fig-PSNR | Fig-SSIM |");
    const naspoLine = lines.find((l) => l.startsWith("| +PortraitRL"))!;
    expect(naspoLine).toContain("**0.8929 ± 0.0000**");
    expect(naspoLine).toContain("| — |");
    expect(lines.find((l) => l.startsWith("| +DiffusionNFT"))).toContain("<u>0.8900 ± ");
    expect(md).toContain("Not computed: CLIP-I, DINO-I, CLIP-T, Rec-pose, Rec-OKS, Rec-detail, MSE ↓, PSNR, SSIM, Fig-MSE ↓, Fig-PSNR, Fig-SSIM.");
    expect(md).toContain("Judge: synthetic (synthetic-v1).");
  });

  it("renders an aligned terminal table, with ANSI styles only when asked", () => {
    const plain = tableToTerminal(t);
    expect(plain).not.toContain("\x1b[");
    const rows = plain.split("\n").slice(1, 5);
    expect(new Set(rows.map((r) => [...r].length)).size).toBe(1);
    expect(plain).toMatch(/0\.8929 ± 0\.0000\*/);
    expect(tableToTerminal(t, { color: true })).toContain("\x1b[1m0.8929 ± 0.0000*\x1b[22m");
  });

  it("Table 3 labels rows by reward and has no paradigm column", () => {
    const t3 = buildTable3([{ method: "sft", evals: [sft] }, { method: "dual-pd", evals: [naspo[0]!] }, { method: "ours", evals: [naspo[1]!] }]);
    expect(t3.rows.map((r) => r.label)).toEqual(["- (SFT)", "Dual-PD", "Ours"]);
    expect(tableToMarkdown(t3).split("\n")).toContain("| Reward | CLIP-I | DINO-I | CLIP-T | Judge-DP | Judge-PF | Rec-pose | Rec-OKS | Rec-detail | Copy-paste ↓ | MSE ↓ | PSNR | SSIM | Fig-MSE ↓ | Fig-PSNR | Fig-SSIM |");
    expect(t3.best.judge_dp).toEqual([1, 2]);
  });
});

describe("compare folders", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "prl-tables-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("reads finished cells and lists the unfinished ones", async () => {
    const dir = await makeCompareFolder(join(root, "cmp"), ["sft", "naspo"], [0, 1], { skip: ["naspo/seed1"], n: 3 });
    const c = await readCompareFolder(dir);
    expect(c.missing).toEqual(["naspo/seed1"]);
    expect(c.rows.map((r) => [r.method, r.evals.length])).toEqual([["sft", 2], ["naspo", 1]]);
    expect(c.rows[0]!.sources).toEqual(["sft/seed0/eval", "sft/seed1/eval"]);
    const t = buildTable1(c.rows);
    expect(t.rows[1]!.cells.judge_dp.mean).toBeCloseTo(c.rows[1]!.evals[0]!.metrics.judge_dp.mean!, 12);
  });

  it("reports a compare.json that is not one", async () => {
    await expect(readCompareFolder(join(root, "none"))).rejects.toThrow(/compare\.json: not found/);
  });
});
