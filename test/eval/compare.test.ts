/**
 * `portraitrl compare` end to end through the CLI, on the smallest thing that works: a 16 px benchmark
 * (2 train, 2 test records; the recognizer behind the synthetic judge reads 16 px by pixel replication),
 * a random-weight `tiny` checkpoint, the `tiny` preset cut down by --configs (G = 4, one group, 2
 * sampling steps, LoRA rank 2, a learning rate large enough that one step moves the metrics), one
 * epoch, seeds 0 and 1, sft + naspo + an arm (naspo at another learning rate), rewards ours + dual-pd
 * + an arm (naspo with another w_dp), two jobs, a non-default judge flag. Then: the tables and the
 * differences paired by seed equal the per-seed eval.json values recomputed here, a second run recomputes
 * nothing, a corrupted results.json is reported and left alone, and the bad-input paths answer with
 * one line.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeDataset } from "../../src/data/index.js";
import { buildModel, fastestEngine, presetConfig, saveCheckpoint } from "../../src/model/index.js";
import { cliAsync } from "../cli-async.js";

const cli = cliAsync;

let root: string;
let data: string;
let ckpt: string;
let configs: string;
let out: string;
let base: string[];
let armLr: string;
let armWdp: string;

const METRICS = ["judge_dp", "judge_pf", "gt_pose", "gt_oks", "gt_detail", "copy_paste_rate"] as const;
type Metric = (typeof METRICS)[number];
/** t_{0.975, 1}: the 95% two-sided Student-t quantile with one degree of freedom (tan(0.475·π)). */
const T_975_DF1 = Math.tan(0.475 * Math.PI);

async function evalMeans(dir: string): Promise<Record<Metric, number>> {
  const e = JSON.parse(await readFile(join(dir, "eval.json"), "utf8")) as { metrics: Record<Metric, { mean: number }> };
  return Object.fromEntries(METRICS.map((m) => [m, e.metrics[m].mean])) as Record<Metric, number>;
}

/** "mean ± half" per metric column of one markdown table row, found by its label. */
function mdRow(md: string, table: 1 | 3, label: string): string[] {
  const section = md.split("**Table ")[table === 1 ? 1 : 2]!.split("**Paired")[0]!;
  const rows = section.split("\n").filter((l) => l.startsWith(`| ${label} |`));
  expect(rows, `${label} in Table ${table}`).toHaveLength(1);
  return rows[0]!.split("|").slice(1, -1).map((c) => c.trim().replace(/\*\*/g, "").replace(/<\/?u>/g, ""));
}

/** Mean and t half-width over the two seeds, formatted as tableToMarkdown does. */
function expected(a: number, b: number): string {
  const mean = (a + b) / 2;
  const sd = Math.abs(a - b) / Math.SQRT2;
  return `${mean.toFixed(4)} ± ${((T_975_DF1 * sd) / Math.SQRT2).toFixed(4)}`;
}

function checkRow(cells: string[], offset: number, s0: Record<Metric, number>, s1: Record<Metric, number>): void {
  // columns: label, [paradigm,] CLIP-I, DINO-I, CLIP-T, then the judge and ground-truth metrics
  expect(cells.slice(offset, offset + 3)).toEqual(["—", "—", "—"]);
  METRICS.forEach((m, i) => expect(cells[offset + 3 + i], m).toBe(expected(s0[m], s1[m])));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "portraitrl-compare-"));
  data = join(root, "data");
  await synthesizeDataset({ out: data, identities: 2, perIdentity: 1, size: 16, seed: 5, testIdentities: 2 });
  const cfg = presetConfig("tiny");
  ckpt = join(root, "ckpt");
  await saveCheckpoint(ckpt, { config: cfg, base: buildModel(cfg).initBase(0) });
  configs = join(root, "configs");
  await mkdir(configs);
  await writeFile(join(configs, "naspo.yaml"), "groupSize: 4\ngroupsPerEpoch: 1\nsampling:\n  steps: 2\nlora:\n  rank: 2\n  alpha: 4\noptimizer:\n  lr: 0.05\n");
  armLr = join(root, "arm-lr.yaml");
  await writeFile(armLr, "optimizer:\n  lr: 0.001\n");
  armWdp = join(root, "arm-wdp.yaml");
  await writeFile(armWdp, "reward:\n  wDp: 0.8\n");
  out = join(root, "cmp");
  base = ["compare", "--data", data, "--init", ckpt, "--out", out, "--algos", `sft,naspo,slow=naspo:${armLr}`, "--seeds", "2", "--rewards", `ours,dual-pd,wdp=naspo:${armWdp}`,
    "--preset", "tiny", "--epochs", "1", "--configs", configs, "--samples", "2", "--jobs", "2", "--no-progress", "--levels", "0-3"];
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("portraitrl compare (CLI)", () => {
  it("bad input: one line, exit 2, nothing written", async () => {
    const cases: [string[], RegExp][] = [
      [["--algos", "sft,dpo"], /--algos: unknown algorithm "dpo"; valid: sft, naspo, diffusion-nft, flow-grpo, uniworld-v2/],
      [["--rewards", "ours,clip"], /--rewards: unknown reward "clip"; valid: ours, dual-pd, clip-t, clip-i, dino-i/],
      [["--seeds", "0"], /--seeds "0": expected an integer >= 1/],
      [["--first-seed", "-1"], /--first-seed "-1": expected an integer >= 0/],
      [["--algos", `sft,x=dpo:${armLr}`], /--algos: arm x: unknown algorithm "dpo"; valid: naspo, diffusion-nft/],
      [["--algos", `sft,naspo=naspo:${armLr}`], /--algos: arm name "naspo" is taken by a method or reward; choose another/],
      [["--rewards", `ours,x=naspo:${join(root, "nope.yaml")}`], /--rewards: arm x: .*nope\.yaml: no such file/],
      [["--algos", "sft,x=naspo"], /--algos: arm "x=naspo": expected NAME=ALGO:OVERRIDE\.yaml/],
      [["--data", join(root, "nope")], /--data .*nope: no such folder/],
      [["--engine", "gpu"], /--engine "gpu": expected jax or onnx$/m],
      // (configs without naspo.yaml: the shared one's 2 sampling steps leave no training timestep under cpu's fraction 0.34)
      [["--preset", "cpu", "--configs", root], /checkpoint .*ckpt is for preset tiny, expected small/],
    ];
    for (const [extra, message] of cases) {
      const r = await cli(...base, ...extra);
      expect(r.status, extra.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    const badConfigs = join(root, "bad-configs");
    await mkdir(badConfigs);
    await writeFile(join(badConfigs, "naspo.yaml"), "groupSize: 1\n");
    const r = await cli(...base, "--configs", badConfigs);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/bad-configs\/naspo\.yaml: field groupSize: must be at least 2/);
    const badArm = join(root, "bad-arm.yaml");
    await writeFile(badArm, "algo:\n  beta: -1\n");
    const arm = await cli(...base, "--algos", `sft,bad=naspo:${badArm}`);
    expect(arm.status).toBe(2);
    expect(arm.stderr.trim().split("\n")).toHaveLength(1);
    expect(arm.stderr).toMatch(/bad-arm\.yaml: algo\.beta: .*\(algorithm naspo\)/);
    expect(existsSync(out)).toBe(false);
  });

  it("trains and evaluates every cell and writes the tables from the per-seed evals", { timeout: 300_000 }, async () => {
    const r = await cli(...base);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    for (const cell of ["sft/seed0", "sft/seed1", "naspo/seed0", "naspo/seed1", "slow/seed0", "slow/seed1", "reward-dual-pd/seed0", "reward-dual-pd/seed1", "reward-wdp/seed0", "reward-wdp/seed1"]) {
      expect(existsSync(join(out, cell, "eval", "eval.json")), cell).toBe(true);
      expect(existsSync(join(out, cell, "run", "checkpoints", "latest")), cell).toBe(!cell.startsWith("sft"));
    }
    expect(existsSync(join(out, "reward-ours")), "ours reuses the naspo cells").toBe(false);
    // the judge flags reach every train and eval
    expect(JSON.parse(await readFile(join(out, "reward-dual-pd", "seed1", "eval", "eval.json"), "utf8")).judge.levels).toEqual([0, 1, 2, 3]);
    expect(JSON.parse(await readFile(join(out, "naspo", "seed0", "run", "config.json"), "utf8")).judge.levels).toEqual([0, 1, 2, 3]);

    const ev = async (cell: string) => evalMeans(join(out, cell, "eval"));
    const [sft0, sft1, na0, na1, dp0, dp1] = await Promise.all(["sft/seed0", "sft/seed1", "naspo/seed0", "naspo/seed1", "reward-dual-pd/seed0", "reward-dual-pd/seed1"].map(ev));
    const md = await readFile(join(out, "table.md"), "utf8");
    const table1Rows = md.split("**Table 3")[0]!.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Method") && !l.startsWith("| ---"));
    expect(table1Rows).toHaveLength(3);
    // the rows differ, so that each check below can tell whose evals a row was built from
    expect(mdRow(md, 1, "+PortraitRL (NaSPO)").slice(2)).not.toEqual(mdRow(md, 1, "+SFT").slice(2));
    expect(mdRow(md, 3, "Dual-PD").slice(1)).not.toEqual(mdRow(md, 3, "Ours").slice(1));
    checkRow(mdRow(md, 1, "+SFT"), 2, sft0!, sft1!);
    checkRow(mdRow(md, 1, "+PortraitRL (NaSPO)"), 2, na0!, na1!);
    checkRow(mdRow(md, 3, "- (SFT)"), 1, sft0!, sft1!);
    checkRow(mdRow(md, 3, "Ours"), 1, na0!, na1!);
    checkRow(mdRow(md, 3, "Dual-PD"), 1, dp0!, dp1!);

    // the arms: the algorithm's config with the override on top
    const slowRun = JSON.parse(await readFile(join(out, "slow", "seed1", "run", "config.json"), "utf8"));
    expect([slowRun.config.algorithm, slowRun.config.optimizer.lr, slowRun.config.groupSize, slowRun.config.lora.rank]).toEqual(["naspo", 0.001, 4, 2]);
    const wdpRun = JSON.parse(await readFile(join(out, "reward-wdp", "seed0", "run", "config.json"), "utf8"));
    expect([wdpRun.config.reward, wdpRun.config.optimizer.lr]).toEqual([{ variant: "ours", wDp: 0.8, recipe: "standardized" }, 0.05]);
    const [sl0, sl1, wd0, wd1] = await Promise.all(["slow/seed0", "slow/seed1", "reward-wdp/seed0", "reward-wdp/seed1"].map(ev));
    checkRow(mdRow(md, 1, "slow"), 2, sl0!, sl1!);
    expect(mdRow(md, 1, "slow")[1]).toBe("RL"); // an arm's paradigm is its algorithm's
    checkRow(mdRow(md, 3, "wdp"), 1, wd0!, wd1!);

    const results = JSON.parse(await readFile(join(out, "results.json"), "utf8"));
    // differences paired by seed: the mean of d_k = row_k − baseline_k, t interval over the two seeds
    const paired = (a: [number, number], b: [number, number]) => {
      const d = [a[0] - b[0], a[1] - b[1]];
      const half = (T_975_DF1 * (Math.abs(d[0]! - d[1]!) / Math.SQRT2)) / Math.SQRT2;
      return { mean: (d[0]! + d[1]!) / 2, lo: (d[0]! + d[1]!) / 2 - half };
    };
    const vsSft = results.methods.naspo.paired.vs_sft.judge_dp;
    const want = paired([na0!.judge_dp, na1!.judge_dp], [sft0!.judge_dp, sft1!.judge_dp]);
    expect(vsSft.mean).toBeCloseTo(want.mean, 12);
    expect(vsSft.ci95[0]).toBeCloseTo(want.lo, 9);
    expect(vsSft.n_seeds).toBe(2);
    expect(vsSft.excludes_zero).toBe(vsSft.ci95[0] > 0 || vsSft.ci95[1] < 0);
    expect(results.methods.slow.paired.vs_naspo.judge_pf.mean).toBeCloseTo(paired([sl0!.judge_pf, sl1!.judge_pf], [na0!.judge_pf, na1!.judge_pf]).mean, 12);
    expect(results.methods.naspo.paired.vs_naspo).toBeUndefined();
    expect(results.rewards["dual-pd"].paired.vs_ours.judge_dp.mean).toBeCloseTo(paired([dp0!.judge_dp, dp1!.judge_dp], [na0!.judge_dp, na1!.judge_dp]).mean, 12);
    expect(Object.keys(results.methods.naspo.paired.vs_sft)).toEqual(["judge_dp", "judge_pf", "mse", "psnr", "ssim", "mse_figure", "psnr_figure", "ssim_figure"]);
    expect(md).toContain("**Paired differences (Table 1): row − +SFT, paired by training seed.**");
    expect(md).toContain("**Paired differences (Table 3): row − Ours, paired by training seed.**");
    expect(r.stdout).toContain("Paired differences (Table 1): row − +PortraitRL (NaSPO)");

    expect(results.kind).toBe("portraitrl-compare-results");
    expect(results.methods.naspo.seeds.map((s: { seed: number; eval: string }) => [s.seed, s.eval])).toEqual([[0, "naspo/seed0/eval"], [1, "naspo/seed1/eval"]]);
    expect(results.methods.naspo.seeds[1].metrics.judge_pf).toBe(na1!.judge_pf);
    expect(results.methods.sft.aggregate.judge_dp.mean).toBeCloseTo((sft0!.judge_dp + sft1!.judge_dp) / 2, 12);
    expect(results.rewards["dual-pd"].aggregate.gt_oks.mean).toBeCloseTo((dp0!.gt_oks + dp1!.gt_oks) / 2, 12);

    const manifest = JSON.parse(await readFile(join(out, "compare.json"), "utf8"));
    expect([manifest.kind, manifest.version, manifest.methods, manifest.seeds, manifest.rewards, manifest.preset, manifest.epochs]).toEqual(
      ["portraitrl-compare", 1, ["sft", "naspo", "slow"], [0, 1], ["ours", "dual-pd", "wdp"], "tiny", 1]);
    expect(manifest.arms.slow).toMatchObject({ algo: "naspo", override: armLr });
    expect(manifest.configs.slow).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.configs["reward-wdp"]).toBe(manifest.arms["reward-wdp"].config_sha256);
    expect(manifest.init_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(manifest.cells).sort()).toEqual(["naspo/seed0", "naspo/seed1", "reward-dual-pd/seed0", "reward-dual-pd/seed1", "reward-wdp/seed0", "reward-wdp/seed1", "sft/seed0", "sft/seed1", "slow/seed0", "slow/seed1"]);
    expect(Object.values(manifest.cells).every((c) => !(c as { skipped: boolean }).skipped)).toBe(true);
    expect(Date.parse(manifest.updated_at)).toBeGreaterThan(Date.parse(manifest.created_at)); // written after every cell
    expect(r.stdout).toMatch(/Table 1\. Quantitative comparison/);
    expect(r.stdout).toContain(join(out, "table.md"));

    const report = await cli("report", out);
    expect(report.status, report.stderr).toBe(0);
    expect(await readFile(join(out, "report.html"), "utf8")).toContain("Dual-PD");
  });

  it("a second run recomputes nothing and rewrites the tables", async () => {
    const evalFiles = ["sft/seed0", "naspo/seed1", "reward-dual-pd/seed0"].map((c) => join(out, c, "eval", "eval.json"));
    const before = await Promise.all(evalFiles.map(async (f) => (await stat(f)).mtimeMs));
    const tableBefore = (await stat(join(out, "table.md"))).mtimeMs;
    const r = await cli(...base);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\$ portraitrl (train|eval)/);
    expect(await Promise.all(evalFiles.map(async (f) => (await stat(f)).mtimeMs))).toEqual(before);
    expect((await stat(join(out, "table.md"))).mtimeMs).toBeGreaterThan(tableBefore);
    const manifest = JSON.parse(await readFile(join(out, "compare.json"), "utf8"));
    expect(Object.values(manifest.cells).map((c) => (c as { skipped: boolean }).skipped)).toEqual(Array(10).fill(true));
  });

  it("--first-seed 1 trains seed 1 alone: the same cell as the folder that trained seeds 0 and 1", { timeout: 120_000 }, async () => {
    const alone = join(root, "cmp-seed1");
    const r = await cli("compare", "--data", data, "--init", ckpt, "--out", alone, "--algos", "sft,naspo", "--seeds", "1", "--first-seed", "1",
      "--preset", "tiny", "--epochs", "1", "--configs", configs, "--samples", "2", "--no-progress", "--levels", "0-3");
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(existsSync(join(alone, "naspo", "seed0"))).toBe(false);
    expect(JSON.parse(await readFile(join(alone, "compare.json"), "utf8")).seeds).toEqual([1]);
    for (const row of ["sft", "naspo"]) {
      const [own, both] = await Promise.all([join(alone, row), join(out, row)].map(async (d) => JSON.parse(await readFile(join(d, "seed1", "eval", "eval.json"), "utf8"))));
      expect(own.seed).toBe(1);
      expect(own.metrics, row).toEqual(both.metrics);
    }
  });

  it("refuses other settings, and a corrupted results.json, without touching the folder", async () => {
    // a repeated option: the last value counts (commander)
    const epochs = await cli(...base, "--epochs", "2");
    expect(epochs.status).toBe(2);
    expect(epochs.stderr.trim().split("\n")).toHaveLength(1);
    expect(epochs.stderr).toMatch(/compare\.json: epochs differs: 1 in the compare folder, 2 in this command/);
    const shrink = await cli(...base, "--seeds", "1");
    expect(shrink.status).toBe(2);
    expect(shrink.stderr).toMatch(/seeds differs: .* drops 1/);
    const later = await cli(...base, "--seeds", "1", "--first-seed", "1");
    expect(later.status).toBe(2);
    expect(later.stderr).toMatch(/seeds differs: .* drops 0/);
    if ((await fastestEngine()) === "onnx") {
      const engine = await cli(...base, "--engine", "onnx");
      expect(engine.status).toBe(2);
      expect(engine.stderr.trim().split("\n")).toHaveLength(1);
      expect(engine.stderr).toMatch(/compare\.json: engine differs: "jax" in the compare folder, "onnx" in this command/);
    }

    const resultsPath = join(out, "results.json");
    await writeFile(resultsPath, '{"kind": "portraitrl-compare-results", "methods": {');
    const manifestBefore = await readFile(join(out, "compare.json"), "utf8");
    const r = await cli(...base);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/results\.json: corrupted, not valid JSON/);
    expect(await readFile(resultsPath, "utf8")).toBe('{"kind": "portraitrl-compare-results", "methods": {');
    expect(await readFile(join(out, "compare.json"), "utf8")).toBe(manifestBefore);
  });
});
