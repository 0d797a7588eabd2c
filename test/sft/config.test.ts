import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BatchMaker, DEFAULT_SFT_CONFIG, editWeights, learningRate, resolveSftConfig, sftModelConfig, type SftExamples } from "../../src/sft/index.js";
import { PAD_ID, splitWords, tokenize, UNK_ID } from "../../src/model/index.js";
import { removeTempDirs, tempDir, tinyConfig } from "./fixtures.js";

afterAll(removeTempDirs);

describe("SFT config", () => {
  it("defaults follow DESIGN §9: AdamW lr 1e-3, 100 warm-up steps, clip 1, EMA 0.998, small at batch 32", () => {
    const c = resolveSftConfig(undefined, {});
    expect(c).toEqual(DEFAULT_SFT_CONFIG);
    expect([c.optimizer.lr, c.optimizer.warmupSteps, c.optimizer.clipNorm, c.ema?.decay, c.preset, c.batchSize]).toEqual([1e-3, 100, 1, 0.998, "small", 32]);
  });

  it("defaults ← file ← flags, merged per field; the file is validated on its own and named", () => {
    const dir = tempDir("cfg");
    const file = join(dir, "c.yaml");
    writeFileSync(file, "preset: tiny\noptimizer:\n  warmupSteps: 10\nsteps: 50\n");
    const c = resolveSftConfig(file, { steps: 7, optimizer: { lr: 0.01 } });
    expect([c.preset, c.steps, c.optimizer.lr, c.optimizer.warmupSteps, c.optimizer.beta2]).toEqual(["tiny", 7, 0.01, 10, 0.999]);
    writeFileSync(file, "timesteps:\n  std: 0\n");
    expect(() => resolveSftConfig(file, {})).toThrow(/c\.yaml: field timesteps\.std/);
    writeFileSync(file, "model:\n  hidden: 30\n");
    expect(() => resolveSftConfig(file, {})).toThrow(/c\.yaml: model config field heads/);
    expect(() => resolveSftConfig(undefined, { preset: "flux-kontext-dev" })).toThrow(/field preset: expected one of tiny, small/);
  });

  it("model overrides widen the preset; the learning rate warms up linearly, then stays", () => {
    expect(sftModelConfig(tinyConfig({ model: { hidden: 128, heads: 4 } })).hidden).toBe(128);
    const o = { ...DEFAULT_SFT_CONFIG.optimizer, lr: 1e-3, warmupSteps: 100 };
    expect(learningRate(o, 1, 5000)).toBeCloseTo(1e-5, 15);
    expect(learningRate(o, 50, 5000)).toBeCloseTo(5e-4, 15);
    expect(learningRate(o, 100, 5000)).toBe(1e-3);
    expect(learningRate(o, 5000, 5000)).toBe(1e-3);
    expect(learningRate({ ...o, warmupSteps: 0 }, 1, 5000)).toBe(1e-3);
  });

  it("cosine decay: lr at the end of the warm-up, the mean of lr and the floor half-way, the floor at the last step", () => {
    const o = { ...DEFAULT_SFT_CONFIG.optimizer, lr: 3e-3, warmupSteps: 100, decay: { kind: "cosine" as const, minFactor: 0.1 } };
    expect(learningRate(o, 50, 10100)).toBeCloseTo(1.5e-3, 15);
    expect(learningRate(o, 100, 10100)).toBeCloseTo(3e-3, 15);
    expect(learningRate(o, 5100, 10100)).toBeCloseTo(0.5 * (3e-3 + 3e-4), 15);
    expect(learningRate(o, 10100, 10100)).toBeCloseTo(3e-4, 15);
    const falling = [100, 2600, 5100, 7600, 10100].map((s) => learningRate(o, s, 10100));
    expect(falling.every((v, i) => i === 0 || v < falling[i - 1]!)).toBe(true);
    expect(resolveSftConfig(undefined, { optimizer: { decay: { kind: "cosine", minFactor: 0.1 } } }).optimizer.decay).toEqual({ kind: "cosine", minFactor: 0.1 });
    expect(() => resolveSftConfig(undefined, { optimizer: { decay: { kind: "linear", minFactor: 0.1 } } })).toThrow(/optimizer\.decay\.kind/);
  });
});

describe("SFT instruction vocabulary", () => {
  const instructions = [
    "Please raise her right arm above the head, turn to the left and step back to a full-body shot now.",
    "Zoom in to a close-up.",
  ];

  it("from-data: every training word has its own id and the longest instruction is not cut off", () => {
    const m = sftModelConfig({ ...tinyConfig(), vocabulary: "from-data" }, "test", instructions);
    const words = instructions.flatMap((t) => splitWords(t));
    expect(words.length).toBe(25);
    for (const t of instructions) {
      const ids = tokenize(t, m);
      expect(Array.from(ids).filter((id) => id !== PAD_ID)).toHaveLength(splitWords(t).length);
      expect(Array.from(ids)).not.toContain(UNK_ID);
    }
    expect(m.textMaxWords).toBe(20);
    expect(m.vocabulary).toEqual([...new Set(words)].sort());
  });

  it("builtin keeps the preset's list, where unseen words are UNK", () => {
    const m = sftModelConfig({ ...tinyConfig(), vocabulary: "builtin" }, "test", instructions);
    expect(m.vocabulary).toBeNull();
    expect(Array.from(tokenize(instructions[0]!, m))).toContain(UNK_ID);
  });
});

describe("SFT batches", () => {
  const count = 5;
  const ex: SftExamples = {
    count,
    ref: Float32Array.from({ length: count * 2 }, (_, i) => Math.floor(i / 2)),
    target: Float32Array.from({ length: count * 2 }, (_, i) => 100 + Math.floor(i / 2)),
    text: Int32Array.from({ length: count }, (_, i) => i),
  };
  const config = tinyConfig({ batchSize: 3 });
  const dims = { N: 1, P: 2, W: 1 };

  it("every example appears once per epoch; a batch is a pure function of (seed, step)", () => {
    const maker = new BatchMaker(ex, config, dims);
    const seen = [1, 2, 3, 4, 5].flatMap((s) => Array.from(maker.make(s).text)); // 15 draws = 3 epochs
    for (let e = 0; e < 3; e++) expect([...seen.slice(5 * e, 5 * e + 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    const again = new BatchMaker(ex, config, dims).make(4);
    const b4 = maker.make(4);
    expect(again).toEqual(b4);
    b4.text.forEach((j, i) => {
      expect(b4.x0[2 * i]).toBe(100 + j);
      expect(b4.ref[2 * i + 1]).toBe(j);
    });
    expect(maker.make(5).x1).not.toEqual(b4.x1);
    for (const t of b4.t) expect(t > 0 && t < 1).toBe(true);
    expect(new BatchMaker(ex, tinyConfig({ batchSize: 3, seed: 1 }), dims).make(4).x1).not.toEqual(b4.x1);
  });

  it("edit weights: 1 + weight where |target − reference| > threshold, else 1; absent from the config, no weights", () => {
    const x0 = Float32Array.of(0.5, 0.5, -1, 0.2);
    const ref = Float32Array.of(0.5, 0.3, 1, 0.25);
    expect(Array.from(editWeights(x0, ref, { weight: 4, threshold: 0.1 }))).toEqual([1, 5, 5, 1]);
    expect(new BatchMaker(ex, config, dims).make(1).w).toBeNull();
    const weighted = new BatchMaker(ex, { ...config, editWeight: { weight: 3, threshold: 50 } }, dims).make(1);
    expect(Array.from(weighted.w!)).toEqual([4, 4, 4, 4, 4, 4]); // targets 100 + j against references j
  });
});
