import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "../../src/data/index.js";
import { loadCheckpoint } from "../../src/model/index.js";
import type { SftState } from "../../src/sft/index.js";
import { removeTempDirs, tempDir, tinyDataset } from "./fixtures.js";

afterAll(removeTempDirs);

const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });

let data = "";
let refImage = "";

beforeAll(async () => {
  data = await tinyDataset();
  refImage = (await loadDataset(data, "train"))[0]!.referenceImage;
});

function configFile(dir: string, body: string): string {
  const file = join(dir, "sft.yaml");
  writeFileSync(file, body);
  return file;
}

describe("portraitrl sft / sample", () => {
  it("a wrong config field: one line naming it, exit 2, nothing written", () => {
    const dir = tempDir("badcfg");
    const out = join(dir, "run");
    for (const [body, field] of [
      ["preset: tiny\noptimizer:\n  lr: -1\n", "field optimizer.lr"],
      ["preset: tiny\nbatchsize: 4\n", "field batchsize: unknown field"],
      ["preset: nope\n", "field preset"],
    ] as const) {
      const r = cli("sft", "--data", data, "--out", out, "--config", configFile(dir, body));
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(field);
      expect(r.stderr).toContain("sft.yaml");
      expect(existsSync(out)).toBe(false);
    }
    const flag = cli("sft", "--data", data, "--out", out, "--steps", "two");
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("--steps");
  });

  it("images of the wrong size are refused with --resize refuse (exit 1, the file named, nothing written)", () => {
    const out = join(tempDir("resize"), "run");
    const r = cli("sft", "--data", data, "--out", out, "--preset", "small", "--resize", "refuse");
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/\.png: image is 16x16, expected 32x32/);
    expect(existsSync(out)).toBe(false);
  });

  it("trains a few steps, then `sample` writes a PNG of the model's size, deterministic per seed", async () => {
    const dir = tempDir("cli");
    const out = join(dir, "run");
    const cfg = configFile(dir, `preset: tiny\nbatchSize: 4\nlogEvery: 2\n`);
    const r = cli("sft", "--data", data, "--out", out, "--config", cfg, "--steps", "4", "--ckpt-every", "2", "--seed", "3");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "completed", step: 4 });
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    const png = join(dir, "edit.png");
    const args = ["sample", "--ckpt", out, "--ref", refImage, "--instruction", "raise the left arm", "--out", png, "--seed", "5"];
    const s = cli(...args);
    expect(s.status).toBe(0);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([16, 16, "png"]);
    const first = readFileSync(png);
    expect(cli(...args).status).toBe(0);
    expect(readFileSync(png).equals(first)).toBe(true);
    const ema = cli(...args.slice(0, -2), "--seed", "5", "--weights", "ema", "--sampler", "dpm2m", "--steps", "3");
    expect(ema.status).toBe(0);
    expect(readFileSync(png).equals(first)).toBe(false);
    const missing = cli("sample", "--ckpt", join(dir, "nope"), "--ref", refImage, "--instruction", "x", "--out", png);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("does not exist");
  });

  it("--init continues from a run's EMA weights with a fresh optimizer; the run records which checkpoint; a conflicting --preset is refused", async () => {
    const dir = tempDir("init");
    const first = join(dir, "first");
    const cfg = configFile(dir, `preset: tiny\nbatchSize: 4\nlogEvery: 1\n`);
    expect(cli("sft", "--data", data, "--out", first, "--config", cfg, "--steps", "3", "--seed", "1").status).toBe(0);
    const from = await loadCheckpoint(join(first, "checkpoints", "latest"));
    const cont = join(dir, "continued");
    // one step at a learning rate of 1e-12 (warm-up off) moves no weight: the saved weights are the EMA it started from
    const still = configFile(dir, `batchSize: 4\nlogEvery: 1\noptimizer:\n  lr: 1.0e-12\n  warmupSteps: 0\n`);
    const r = cli("sft", "--data", data, "--out", cont, "--init", first, "--config", still, "--steps", "1", "--no-ema");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const after = await loadCheckpoint(join(cont, "checkpoints", "latest"));
    expect(after.config).toEqual(from.config);
    expect(after.base.length).toBe(from.extra["ema"]!.length);
    let maxDiff = 0;
    for (let i = 0; i < after.base.length; i++) maxDiff = Math.max(maxDiff, Math.abs(after.base[i]! - from.extra["ema"]![i]!));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(Math.abs(after.base[0]! - from.base[0]!) + Math.abs(after.base[7]! - from.base[7]!)).toBeGreaterThan(0);
    const recorded = JSON.parse(readFileSync(join(cont, "config.json"), "utf8")) as { config: { init?: { checkpoint: string; sha256: string } } };
    expect(recorded.config.init?.checkpoint).toMatch(/first\/checkpoints\/step-0*3$/);
    expect(recorded.config.init?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const clash = cli("sft", "--data", data, "--out", join(dir, "clash"), "--init", first, "--preset", "small");
    expect(clash.status).toBe(2);
    expect(clash.stderr.trim()).toBe(`portraitrl: --preset small: --init ${first} is a tiny model; leave --preset out to continue it`);
    expect(existsSync(join(dir, "clash"))).toBe(false);
  });

  it("SIGINT finishes the step, checkpoints and exits 130; re-running resumes", async () => {
    const dir = tempDir("sigint");
    const out = join(dir, "run");
    const cfg = configFile(dir, `preset: tiny\nbatchSize: 2\nlogEvery: 1\nckptEvery: 1000\n`);
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sft", "--data", data, "--out", out, "--config", cfg, "--steps", "5000"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    const closed = new Promise<number | null>((res) => child.on("close", (c) => ((exited = true), res(c))));
    const metrics = join(out, "metrics.jsonl");
    const lines = (): number => (existsSync(metrics) ? readFileSync(metrics, "utf8").trim().split("\n").length : 0);
    while (lines() < 3 && !exited) await new Promise((res) => setTimeout(res, 100));
    child.kill("SIGINT");
    const code = await closed;
    expect(stderr).toMatch(/portraitrl: interrupt: finishing the step, then checkpointing/);
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted at step \d+/);
    const ckpt = await loadCheckpoint(join(out, "checkpoints", "latest"));
    const step = (ckpt.state as SftState).step;
    expect(step).toBeGreaterThanOrEqual(3);
    expect(step).toBeLessThan(5000);
    const resumed = cli("sft", "--data", data, "--out", out, "--config", cfg, "--steps", String(step + 2));
    expect(resumed.status).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: "completed", step: step + 2 });
  });
});
