import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset, type DatasetRecord } from "../../src/data/index.js";
import { loadCheckpoint } from "../../src/model/index.js";
import { initJax } from "../../src/runtime/jax.js";
import { liveArrayCount, trackLiveArrays } from "../../src/runtime/live.js";
import { learningRate, runSft, type SftConfig, type SftState } from "../../src/sft/index.js";
import { removeTempDirs, tempDir, tinyConfig, tinyDataset } from "./fixtures.js";

afterAll(removeTempDirs);

let data = "";
let records: DatasetRecord[] = [];

beforeAll(async () => {
  await initJax();
  await trackLiveArrays();
  data = await tinyDataset();
  records = await loadDataset(data, "train");
});

const metricsLines = (run: string): Record<string, number>[] =>
  readFileSync(join(run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, number>);

/** Run SFT to the end, recording every step's loss and the live array count after the steps in `at`. */
async function runCounting(out: string, config: SftConfig, at: readonly number[]) {
  const losses: number[] = [];
  const live: Record<number, number> = {};
  const result = await runSft({
    out,
    config,
    records,
    dataDir: data,
    onStep: (s) => {
      losses.push(s.loss);
      if (at.includes(s.step)) live[s.step] = liveArrayCount();
    },
  });
  return { result, losses, live };
}

describe("cold-start SFT on 8 triplets (tiny)", () => {
  it("overfits: the loss falls at least 10×; metrics, checkpoint and no leaks from step 5 to step 50", async () => {
    const out = join(tempDir("overfit"), "run");
    const config = tinyConfig({ steps: 400, logEvery: 25, ckptEvery: 200, ema: null });
    const { result: r, losses, live } = await runCounting(out, config, [5, 50]);
    expect(r.status).toBe("completed");
    expect(live[50]).toBe(live[5]);
    const lastWindow = losses.slice(-25).reduce((a, b) => a + b, 0) / 25;
    expect(lastWindow).toBeLessThan(losses[0]! / 10);
    const lines = metricsLines(out);
    expect(lines.map((l) => l.step)).toEqual(Array.from({ length: 16 }, (_, i) => 25 * (i + 1)));
    expect(Object.keys(lines[0]!).sort()).toEqual(["grad_norm", "loss", "lr", "step", "time_s"]);
    expect(lines.at(-1)!.loss).toBeCloseTo(lastWindow, 5);
    expect(lines[0]!.lr).toBeCloseTo(5e-3, 12); // warm-up (20 steps) is over by step 25
    expect(readlinkSync(join(out, "checkpoints", "latest"))).toBe("step-400");
    const ckpt = await loadCheckpoint(r.checkpoint);
    expect((ckpt.state as SftState).step).toBe(400);
    expect((ckpt.state as SftState).adamT).toBe(400);
    expect(ckpt.extra["adam.m"]!.length).toBe(ckpt.base.length);
    const run = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { kind: string; seed: number; versions: Record<string, string> };
    expect(run.kind).toBe("portraitrl-sft");
    expect(run.versions.jax_js).toBe("0.1.25");
  });

  it("with the EMA on, the live array count stays flat from step 5 to step 40", async () => {
    const out = join(tempDir("ema-leak"), "run");
    const config = tinyConfig({ steps: 40, batchSize: 4, logEvery: 10, ckptEvery: 40, ema: { decay: 0.9 } });
    const { result: r, live } = await runCounting(out, config, [5, 40]);
    expect(r.status).toBe("completed");
    expect(live[5]).toBeGreaterThan(0);
    expect(live[40]).toBe(live[5]);
  });

  it("an interrupted then resumed run ends bit-identical to an uninterrupted one, its lr cosine-decayed over the whole run", async () => {
    const base = tinyConfig({ steps: 12, batchSize: 4, logEvery: 2, ckptEvery: 5 });
    const config = { ...base, optimizer: { ...base.optimizer, warmupSteps: 2, decay: { kind: "cosine" as const, minFactor: 0.1 } } };
    const straight = join(tempDir("straight"), "run");
    const split = join(tempDir("split"), "run");
    await runSft({ out: straight, config, records, dataDir: data });
    const first = await runSft({ out: split, config, records, dataDir: data, shouldStop: (step) => step === 7 });
    expect(first.status).toBe("interrupted");
    expect(first.step).toBe(7);
    const second = await runSft({ out: split, config, records, dataDir: data });
    expect(second.status).toBe("completed");
    const a = await loadCheckpoint(join(straight, "checkpoints", "step-12"));
    const b = await loadCheckpoint(join(split, "checkpoints", "step-12"));
    expect(Buffer.from(b.base.buffer).equals(Buffer.from(a.base.buffer))).toBe(true);
    for (const k of ["adam.m", "adam.v", "ema"]) {
      expect(Buffer.from(b.extra[k]!.buffer).equals(Buffer.from(a.extra[k]!.buffer))).toBe(true);
    }
    const strip = (ls: Record<string, number>[]) => ls.map(({ time_s: _t, ...rest }) => rest);
    expect(strip(metricsLines(split))).toEqual(strip(metricsLines(straight)));
    const lrs = metricsLines(split).map((l) => [l.step, l.lr]);
    expect(lrs).toEqual([2, 4, 6, 8, 10, 12].map((k) => [k, learningRate(config.optimizer, k, 12)]));
    expect(lrs.at(-1)![1]).toBeCloseTo(0.1 * config.optimizer.lr, 15);
  });

  it("refuses to resume a run folder with another config (exit 2, names the field) and leaves it untouched", async () => {
    const out = join(tempDir("mismatch"), "run");
    await runSft({ out, config: tinyConfig({ steps: 2, ckptEvery: 2 }), records, dataDir: data });
    const before = readFileSync(join(out, "metrics.jsonl"), "utf8");
    await expect(runSft({ out, config: tinyConfig({ steps: 4, batchSize: 2 }), records, dataDir: data })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/config field batchSize/),
    });
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe(before);
    expect(existsSync(join(out, "checkpoints", "step-4"))).toBe(false);
  });

  it("the edit-weighted loss: with every weight 1 (threshold above any difference) the losses are Eq. 2's; weighted, it trains without leaks", async () => {
    const base = tinyConfig({ steps: 30, batchSize: 4, logEvery: 1, ckptEvery: 30, ema: null });
    const plain = await runCounting(join(tempDir("plain"), "run"), base, []);
    const ones = await runCounting(join(tempDir("ones"), "run"), { ...base, editWeight: { weight: 5, threshold: 3 } }, []);
    expect(ones.losses).toHaveLength(plain.losses.length);
    ones.losses.forEach((l, i) => expect(l).toBeCloseTo(plain.losses[i]!, 4));
    const weighted = await runCounting(join(tempDir("weighted"), "run"), { ...base, editWeight: { weight: 5, threshold: 0.1 } }, [5, 30]);
    expect(weighted.result.status).toBe("completed");
    expect(weighted.live[30]).toBe(weighted.live[5]);
    expect(weighted.losses[0]).not.toBeCloseTo(plain.losses[0]!, 4);
    const mean = (ls: number[]): number => ls.reduce((a, b) => a + b, 0) / ls.length;
    expect(mean(weighted.losses.slice(-10))).toBeLessThan(mean(weighted.losses.slice(0, 10)));
  });
});
