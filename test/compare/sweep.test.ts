/**
 * `portraitrl sweep` end to end through the CLI on the compare test's tiny setup (16 px benchmark with a
 * val split, random-weight `tiny` checkpoint, G = 4, one group, one epoch): naspo and diffusion-nft, two
 * learning rates each, two jobs. Then: every trial is evaluated on val and recorded, the chosen
 * `<algo>.yaml` is the best trial recomputed here from the eval folders, a second run with another
 * criterion chooses again without training, and the bad inputs answer with one line before anything is
 * written.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeDataset } from "../../src/data/index.js";
import { buildModel, presetConfig, saveCheckpoint } from "../../src/model/index.js";
import { cliAsync as cli } from "../cli-async.js";

let root: string;
let out: string;
let base: string[];
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const LRS = [0.05, 0.001];

interface Trial {
  algo: string;
  trial: number;
  knobs: Record<string, number>;
  config: string;
  config_sha256: string;
  run: string;
  eval: string;
  skipped: boolean;
  val: Record<string, number | null>;
  criterion: number | null;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "portraitrl-sweep-"));
  const data = join(root, "data");
  await synthesizeDataset({ out: data, identities: 2, perIdentity: 1, size: 16, seed: 5, testIdentities: 2 });
  const cfg = presetConfig("tiny");
  const ckpt = join(root, "ckpt");
  await saveCheckpoint(ckpt, { config: cfg, base: buildModel(cfg).initBase(0) });
  const configs = join(root, "configs");
  await mkdir(configs);
  const shared = "groupSize: 4\ngroupsPerEpoch: 1\nsampling:\n  steps: 2\nlora:\n  rank: 2\n  alpha: 4\n";
  await writeFile(join(configs, "naspo.yaml"), shared);
  await writeFile(join(configs, "diffusion-nft.yaml"), shared);
  await writeFile(join(root, "grid.yaml"), `naspo:\n  optimizer.lr: [${LRS.join(", ")}]\ndiffusion-nft:\n  optimizer.lr: [${LRS.join(", ")}]\n`);
  out = join(root, "sweep");
  base = ["sweep", "--data", data, "--init", ckpt, "--grid", join(root, "grid.yaml"), "--out", out, "--preset", "tiny", "--epochs", "1",
    "--configs", configs, "--samples", "2", "--jobs", "2", "--no-progress"];
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function evalMetrics(dir: string): Promise<{ split: string; seed: number; metrics: Record<string, { mean: number | null }> }> {
  return JSON.parse(await readFile(join(dir, "eval.json"), "utf8"));
}

describe("portraitrl sweep (CLI)", () => {
  it("bad input: one line, exit 2, nothing written", async () => {
    const grid = async (name: string, text: string) => {
      await writeFile(join(root, name), text);
      return ["--grid", join(root, name)];
    };
    const unequalBudget = join(root, "unequal");
    await mkdir(unequalBudget);
    await writeFile(join(unequalBudget, "naspo.yaml"), "groupSize: 4\ngroupsPerEpoch: 2\nsampling:\n  steps: 2\n");
    const cases: [string[], RegExp][] = [
      [await grid("uneven.yaml", "naspo:\n  optimizer.lr: [0.1, 0.2]\n  algo.beta: [1, 10]\ndiffusion-nft:\n  optimizer.lr: [0.1, 0.2]\n"),
        /uneven\.yaml: diffusion-nft has 2 grid points, naspo has 4: every algorithm gets the same number of trials/],
      [await grid("budget.yaml", "naspo:\n  groupsPerEpoch: [1, 2]\n"), /budget\.yaml: naspo\.groupsPerEpoch: not tunable/],
      [await grid("typo.yaml", "naspo:\n  optimizer.lrr: [0.1]\n"), /typo\.yaml \(naspo trial 0: optimizer\.lrr=0\.1\): field optimizer/],
      [await grid("algo-typo.yaml", "naspo:\n  algo.bta: [1]\n"), /algo-typo\.yaml \(naspo trial 0: algo\.bta=1\): algo\.bta: unknown field \(algorithm naspo\)/],
      [["--trials", "3"], /grid\.yaml: naspo has 2 grid points, fewer than the 3 trials/],
      [["--criterion", "dp"], /--criterion "dp": expected one of judge-mean/],
      [["--configs", unequalBudget], /grid\.yaml: the training budgets differ \(rollout images: naspo trial 0 8, .*diffusion-nft trial 0 16/],
      [["--data", join(root, "ckpt")], /--data .*ckpt: no val\.jsonl/],
    ];
    for (const [extra, message] of cases) {
      const r = await cli(...base, ...extra);
      expect(r.status, extra.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("gives every algorithm the same trials on val, records each and writes the best as <algo>.yaml", { timeout: 300_000 }, async () => {
    const r = await cli(...base);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const record = JSON.parse(await readFile(join(out, "sweep.json"), "utf8"));
    expect([record.kind, record.settings.trials, record.settings.seed, record.settings.epochs, record.criterion.name]).toEqual(["portraitrl-sweep", 2, 0, 1, "judge-mean"]);
    const trials = record.trials as Trial[];
    expect(trials.map((t) => [t.algo, t.trial, t.knobs["optimizer.lr"]])).toEqual([["naspo", 0, 0.05], ["naspo", 1, 0.001], ["diffusion-nft", 0, 0.05], ["diffusion-nft", 1, 0.001]]);
    for (const t of trials) {
      const e = await evalMetrics(join(out, t.eval));
      expect([e.split, e.seed]).toEqual(["val", 0]);
      expect(t.val.judge_dp).toBe(e.metrics.judge_dp!.mean);
      expect(t.val.psnr).toBe(e.metrics.psnr!.mean);
      expect(t.criterion).toBeCloseTo((e.metrics.judge_dp!.mean! + e.metrics.judge_pf!.mean!) / 2, 12);
      expect(sha256(await readFile(join(out, t.config), "utf8"))).toBe(t.config_sha256);
      // the trial trained what its knobs say, on the shared base config
      const run = JSON.parse(await readFile(join(out, t.run, "config.json"), "utf8"));
      expect([run.config.algorithm, run.config.optimizer.lr, run.config.groupSize, run.config.epochs, run.config.seed]).toEqual([t.algo, t.knobs["optimizer.lr"], 4, 1, 0]);
    }
    // the trials of an algorithm differ (the learning rate reached the training), so the choice is a real one
    expect(trials[0]!.criterion).not.toBe(trials[1]!.criterion);
    for (const algo of ["naspo", "diffusion-nft"]) {
      const mine = trials.filter((t) => t.algo === algo);
      const best = mine.reduce((a, b) => (b.criterion! > a.criterion! ? b : a));
      expect(record.chosen[algo].trial, algo).toBe(best.trial);
      const text = await readFile(join(out, `${algo}.yaml`), "utf8");
      expect(sha256(text)).toBe(record.chosen[algo].file_sha256);
      expect(YAML.parse(text)).toEqual({ groupSize: 4, groupsPerEpoch: 1, sampling: { steps: 2 }, lora: { rank: 2, alpha: 4 }, optimizer: { lr: best.knobs["optimizer.lr"] } });
      expect(text).toMatch(new RegExp(`^# ${algo}: chosen by portraitrl sweep .*trial ${best.trial} of 2`));
    }
    expect(r.stdout).toMatch(/4 trials \(4 run\)/);
  });

  it("again with another criterion: chooses again without training", async () => {
    const r = await cli(...base, "--criterion", "mse");
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).not.toMatch(/\$ portraitrl (train|eval)/);
    const record = JSON.parse(await readFile(join(out, "sweep.json"), "utf8"));
    expect(record.criterion).toMatchObject({ name: "mse", higher_is_better: false });
    const trials = record.trials as Trial[];
    expect(trials.every((t) => t.skipped)).toBe(true);
    for (const algo of ["naspo", "diffusion-nft"]) {
      const mine = trials.filter((t) => t.algo === algo);
      const best = mine.reduce((a, b) => (b.val.mse! < a.val.mse! ? b : a));
      expect(record.chosen[algo].trial).toBe(best.trial);
      expect(record.chosen[algo].criterion).toBe(best.val.mse);
    }
  });

  it("refuses other settings, and a corrupted sweep.json, without touching the folder", async () => {
    const seed = await cli(...base, "--seed", "1");
    expect(seed.status).toBe(2);
    expect(seed.stderr.trim().split("\n")).toHaveLength(1);
    expect(seed.stderr).toMatch(/sweep\.json: settings\.seed differs: 0 in the sweep folder, 1 in this command/);
    const recordPath = join(out, "sweep.json");
    await writeFile(recordPath, '{"kind": "portraitrl-sweep", ');
    const r = await cli(...base);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/sweep\.json: corrupted, not valid JSON/);
    expect(await readFile(recordPath, "utf8")).toBe('{"kind": "portraitrl-sweep", ');
  });
});
