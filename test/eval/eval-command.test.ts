/**
 * `portraitrl eval` end to end: a checkpoint (the "small" preset, random weights) on a synthetic test
 * split, with the tiny ONNX CLIP/DINO folders, through the CLI; the per-record noise contract of the
 * generator; and the bad-input paths (one line, exit 2, nothing written).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeDataset, type DatasetRecord } from "../../src/data/index.js";
import { readEvalFolder } from "../../src/eval/folder.js";
import { checkpointEditor, recordSeed } from "../../src/eval/generate.js";
import { buildModel, LORA_EMA_TENSOR, presetConfig, saveCheckpoint, type LoadedCheckpoint } from "../../src/model/index.js";
import { initJax } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";
import { writeTinyClip, writeTinyDino } from "../fixtures/onnx/tiny-embedders.js";

const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "eval", ...args], { encoding: "utf8" });

let root: string;
let data: string;
let ckpt: string;
let clip: string;
let dino: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "portraitrl-eval-cli-"));
  data = join(root, "data");
  await synthesizeDataset({ out: data, identities: 2, perIdentity: 1, size: 32, seed: 5, testIdentities: 4 });
  const cfg = presetConfig("small");
  ckpt = join(root, "ckpt");
  await saveCheckpoint(ckpt, { config: cfg, base: buildModel(cfg).initBase(0) });
  clip = (await writeTinyClip(join(root, "clip"))).dir;
  dino = (await writeTinyDino(join(root, "dino"))).dir;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("portraitrl eval (CLI)", () => {
  it("generates, scores and writes an eval folder that records checkpoint, judge, embedders, seed, versions", async () => {
    const out = join(root, "ev");
    const r = run("--ckpt", ckpt, "--data", data, "--out", out, "--seed", "7", "--batch-size", "3", "--method", "sft", "--clip-model", clip, "--dino-model", dino);
    expect(r.stderr).not.toMatch(/not computed/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).n).toBe(4);
    const f = await readEvalFolder(out);
    const e = f.eval;
    expect([e.method, e.split, e.seed, e.steps]).toEqual(["sft", "test", 7, 6]);
    expect(e.checkpoint).toBe(ckpt);
    expect(e.checkpoint_sha256).toBe(createHash("sha256").update(await readFile(join(ckpt, "config.json"))).digest("hex"));
    expect(e.judge).toEqual({ name: "synthetic-held-out", model: null, prompt_sha256: { dp: null, pf: null }, levels: [0, 1, 2, 3, 4] });
    expect([e.embedders.clip, e.embedders.dino]).toEqual([clip, dino]);
    expect(e.versions.jax_js).toBe("0.1.25");
    for (const m of ["judge_dp", "judge_pf", "gt_pose", "gt_oks", "gt_detail", "copy_paste_rate", "clip_i", "dino_i", "clip_t"] as const) {
      expect(e.metrics[m].n, m).toBe(4);
      expect(e.metrics[m].ci95![0]).toBeLessThanOrEqual(e.metrics[m].mean!);
      expect(e.metrics[m].ci95![1]).toBeGreaterThanOrEqual(e.metrics[m].mean!);
    }
    // A random-weight model does not reproduce its reference: CLIP-I < 1.
    expect(e.metrics.clip_i.mean!).toBeLessThan(0.999);
    expect((await readdir(join(out, "images"))).length).toBe(4);
    expect((await readdir(root)).filter((n) => n.includes(".tmp-"))).toEqual([]);

    const again = run("--ckpt", ckpt, "--data", data, "--out", out);
    expect(again.status).toBe(2);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it("without embedder folders: clip_i, dino_i, clip_t are null and said once", async () => {
    const out = join(root, "copy");
    const r = run("--editor", "copy-reference", "--data", data, "--out", out);
    expect(r.status).toBe(0);
    expect(r.stderr.match(/not computed/g)).toHaveLength(1);
    const e = (await readEvalFolder(out)).eval;
    expect([e.metrics.clip_i.mean, e.metrics.dino_i.mean, e.metrics.clip_t.mean]).toEqual([null, null, null]);
    expect(e.metrics.gt_detail.mean).toBe(1);
    expect(e.metrics.copy_paste_rate.mean).toBe(1);
    expect(e.method).toBe("copy-reference");
  });

  it("an SFT checkpoint with an EMA: samples the EMA, as `train --init` starts from, unless --weights base", async () => {
    const cfg = presetConfig("small");
    const model = buildModel(cfg);
    const withEma = join(root, "ckpt-ema");
    await saveCheckpoint(withEma, { config: cfg, base: model.initBase(0), extra: { ema: model.initBase(1) } });
    const emaAsBase = join(root, "ckpt-ema-as-base");
    await saveCheckpoint(emaAsBase, { config: cfg, base: model.initBase(1) });
    const images = async (dir: string): Promise<Buffer[]> => {
      const names = (await readdir(join(dir, "images"))).sort();
      return Promise.all(names.map((n) => readFile(join(dir, "images", n))));
    };
    const evalOf = async (name: string, ...args: string[]) => {
      const out = join(root, name);
      const r = run("--data", data, "--out", out, "--seed", "2", ...args);
      expect(r.status, r.stderr).toBe(0);
      return { eval: (await readEvalFolder(out)).eval, images: await images(out), stderr: r.stderr };
    };
    const ema = await evalOf("w-ema", "--ckpt", withEma);
    const reference = await evalOf("w-ref", "--ckpt", emaAsBase);
    const base = await evalOf("w-base", "--ckpt", withEma, "--weights", "base");
    const plain = await evalOf("w-plain", "--ckpt", ckpt);
    expect(ema.images).toEqual(reference.images);
    expect(base.images).toEqual(plain.images);
    expect(ema.images).not.toEqual(base.images);
    expect(ema.eval.checkpoint).toBe(`${withEma} (ema)`);
    expect(ema.stderr).toMatch(/an SFT checkpoint with an EMA of its weights; sampling the EMA weights \(--weights base for the trained ones\)/);
    expect(base.eval.checkpoint).toBe(withEma);
    expect([ema.eval.weights, base.eval.weights, plain.eval.weights]).toEqual(["base-ema", "trained", "trained"]);
    const bad = run("--ckpt", withEma, "--data", data, "--out", join(root, "w-bad"), "--weights", "last");
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^portraitrl: --weights "last": expected ema or base$/);
  }, 120_000);

  it("an RL checkpoint: samples the eval EMA of its LoRA by default (the same rule for every method), the trained LoRA with --weights base", async () => {
    const cfg = presetConfig("small");
    const lora = { rank: 4, alpha: 8, targets: "flow-grpo" as const };
    const model = buildModel(cfg, lora);
    const base = model.initBase(0);
    const rng = new Rng(9);
    const randomLora = (): Float32Array => Float32Array.from({ length: model.loraSize }, () => 0.05 * rng.normal());
    const trained = randomLora();
    const emaLora = randomLora();
    const rl = join(root, "ckpt-rl");
    await saveCheckpoint(rl, { config: cfg, lora, base, loraWeights: trained, extra: { [LORA_EMA_TENSOR]: emaLora, adam_m: new Float32Array(model.loraSize) } });
    const emaAsTrained = join(root, "ckpt-rl-ema-as-trained");
    await saveCheckpoint(emaAsTrained, { config: cfg, lora, base, loraWeights: emaLora });
    const images = async (dir: string): Promise<Buffer[]> => {
      const names = (await readdir(join(dir, "images"))).sort();
      return Promise.all(names.map((n) => readFile(join(dir, "images", n))));
    };
    const evalOf = async (name: string, ...args: string[]) => {
      const out = join(root, name);
      const r = run("--data", data, "--out", out, "--seed", "2", "--samples", "2", ...args);
      expect(r.status, r.stderr).toBe(0);
      return { eval: (await readEvalFolder(out)).eval, images: await images(out), stderr: r.stderr };
    };
    const ema = await evalOf("rl-ema", "--ckpt", rl);
    const reference = await evalOf("rl-ref", "--ckpt", emaAsTrained);
    const raw = await evalOf("rl-raw", "--ckpt", rl, "--weights", "base");
    expect(ema.images).toEqual(reference.images);
    expect(ema.images).not.toEqual(raw.images);
    expect([ema.eval.weights, raw.eval.weights, reference.eval.weights]).toEqual(["lora-ema", "trained", "trained"]);
    expect(ema.eval.checkpoint).toBe(`${rl} (ema)`);
    expect(ema.stderr).toMatch(/an RL checkpoint with an eval EMA of its LoRA; sampling the EMA weights/);
  }, 120_000);

  it("bad input: one line, exit 2, nothing written", async () => {
    const broken = (await writeTinyDino(join(root, "broken"))).dir;
    await unlink(join(broken, "onnx", "model.onnx"));
    const out = join(root, "bad");
    const cases: [string[], RegExp][] = [
      [["--ckpt", ckpt, "--data", data, "--split", "dev"], /--split "dev": expected one of train, val, test/],
      [["--ckpt", join(root, "nope"), "--data", data], /--ckpt .*nope: not a checkpoint folder/],
      [["--ckpt", ckpt, "--data", join(root, "nodata")], /--data .*nodata: no such dataset folder/],
      [["--ckpt", ckpt, "--data", data, "--dino-model", broken], /--dino-model .*broken: missing onnx\/model\.onnx/],
      [["--data", data], /--ckpt DIR is required/],
      [["--ckpt", ckpt, "--data", data, "--steps", "0"], /--steps "0": expected an integer >= 1/],
      [["--ckpt", ckpt, "--data", data, "--synthetic-judge", "best"], /--synthetic-judge "best": expected one of reward, held-out/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args, "--out", out);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("has --help", () => {
    const r = run("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--clip-model <dir>");
  });
});

describe("checkpointEditor", () => {
  it("gives each record the same image whatever its batch, from its own seed", async () => {
    await initJax();
    const cfg = presetConfig("tiny");
    const model = buildModel(cfg);
    const ckpt: LoadedCheckpoint = { config: cfg, lora: null, base: model.initBase(1), extra: {}, state: null };
    const S = cfg.imageSize * cfg.imageSize * 3;
    const rng = new Rng(3);
    const refs = Array.from({ length: 3 }, () => rng.uniformArray(S, 0, 1));
    const instructions = ["raise the left arm", "turn the head right", "zoom out"];
    const records = ["a", "b", "c"].map((id) => ({ id }) as DatasetRecord);
    const batched = await checkpointEditor(ckpt, { seed: 4, batchSize: 2 });
    const single = await checkpointEditor(ckpt, { seed: 4, batchSize: 1 });
    const x = await batched(refs, instructions, records);
    const y = await single(refs.slice(2), instructions.slice(2), records.slice(2));
    const z = await batched(refs.slice(1), instructions.slice(1), records.slice(1));
    expect(x).toHaveLength(3);
    for (let i = 0; i < S; i++) {
      expect(y[0]![i]).toBeCloseTo(x[2]![i]!, 5);
      expect(z[1]![i]).toBeCloseTo(x[2]![i]!, 5);
    }
    const other = await checkpointEditor(ckpt, { seed: 5, batchSize: 2 });
    const w = await other(refs, instructions, records);
    expect(w[0]!.some((v, i) => Math.abs(v - x[0]![i]!) > 1e-3)).toBe(true);
    expect(recordSeed(4, "c")).not.toBe(recordSeed(5, "c"));
    for (const e of [batched, single, other]) await e.dispose();
  });
});
