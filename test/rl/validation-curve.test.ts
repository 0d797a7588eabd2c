/**
 * `train --val-every` (issue 24): the validation curve. Each point is the eval EMA of the LoRA after that
 * many epochs, scored on the first K val records exactly as `eval --split val --samples K` scores the
 * checkpoint of that epoch (same noise, steps, engine and held-out judge), so the means must agree with
 * that eval.json; the points land on the epochs asked for (and the last), each with its checkpoint; a
 * dataset without a val split is one line before anything is written.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeDataset } from "../../src/data/index.js";
import { cliAsync } from "../cli-async.js";
import { makeInit } from "./trainer-fixtures.js";

let root: string;
let data: string;
let init: string;
let cfg: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "prl-valcurve-"));
  data = join(root, "data");
  mkdirSync(data);
  await synthesizeDataset({ out: data, identities: 8, perIdentity: 1, size: 16, seed: 5, testIdentities: 1, valIdentities: 3 });
  init = await makeInit(join(root, "init"));
  cfg = join(root, "cfg.yaml");
  writeFileSync(cfg, "groupSize: 2\ngroupsPerEpoch: 2\nrolloutBatch: 4\nmicroBatch: 4\nstepsPerEpoch: 2\noptimizer:\n  lr: 0.02\nsampling:\n  steps: 3\nlora:\n  rank: 2\n  alpha: 4\ncheckpointEvery: 100\nkeepCheckpoints: 10\n");
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Line { epoch: number; step: number; val?: { epochs: number; n: number; seconds: number; means: Record<string, number | null> } }

describe("train --val-every", () => {
  it("writes a val point every N epochs and at the last, equal to eval of that epoch's checkpoint", async () => {
    const out = join(root, "run");
    const r = await cliAsync("train", "--algo", "naspo", "--preset", "tiny", "--data", data, "--init", init, "--out", out, "--config", cfg, "--epochs", "5", "--val-every", "2", "--val-samples", "2", "--no-progress");
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.val?.epochs ?? null)).toEqual([null, 2, null, 4, 5]);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { config: { validation: unknown } };
    expect(config.config.validation).toEqual({ every: 2, samples: 2 });
    const at4 = lines[3]!;
    expect(at4.val!.n).toBe(2);
    const ckpt = join(out, "checkpoints", `step-${at4.step}`);
    expect(existsSync(ckpt)).toBe(true); // a checkpoint at every val point, though checkpointEvery is 100
    const ev = await cliAsync("eval", "--ckpt", ckpt, "--data", data, "--split", "val", "--samples", "2", "--out", join(root, "eval4"));
    expect(ev.status, ev.stderr).toBe(0);
    const m = (JSON.parse(readFileSync(join(root, "eval4", "eval.json"), "utf8")) as { metrics: Record<string, { mean: number | null }> }).metrics;
    for (const k of ["judge_dp", "judge_pf", "mse", "psnr", "ssim", "mse_figure"]) expect(at4.val!.means[k], k).toBeCloseTo(m[k]!.mean!, 12);
    // the curve moves: the LoRA's EMA after 2 and after 4 epochs are different weights
    expect(lines[1]!.val!.means.mse).not.toBe(at4.val!.means.mse);
  }, 240_000);

  it("a dataset without a val split: one line naming it, exit 2, no run folder", async () => {
    const noVal = join(root, "noval");
    mkdirSync(noVal);
    await synthesizeDataset({ out: noVal, identities: 3, perIdentity: 1, size: 16, seed: 5, testIdentities: 1 });
    rmSync(join(noVal, "val.jsonl"));
    const out = join(root, "run-noval");
    const r = await cliAsync("train", "--algo", "naspo", "--preset", "tiny", "--data", noVal, "--init", init, "--out", out, "--config", cfg, "--epochs", "1", "--val-every", "1");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`portraitrl: --val-every: ${noVal} has no val split (no val.jsonl)\n`);
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
