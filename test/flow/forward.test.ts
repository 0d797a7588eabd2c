import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, random, type JaxArray } from "../../src/runtime/jax.js";
import { flowMatchingLossPerSample, logitNormalTime, noisify, sampleLogitNormal, velocityTarget, weightedFlowMatchingLossPerSample } from "../../src/flow/index.js";
import { maxAbsDiff } from "./gaussian-field.js";

beforeAll(async () => {
  await initJax();
});

describe("forward process (Eq. 1–2)", () => {
  const x0 = [0.5, -1, 2, 0.25, 3, -0.5];
  const x1 = [1.5, 0.2, -0.3, 0.7, -2, 1];

  it("x_t = (1 − t)x0 + t·x1 with a per-sample t; t = 0 gives x0, t = 1 gives x1", async () => {
    const t = [0, 0.3, 1];
    const xt = await noisify(np.array(x0).reshape([3, 2]), np.array(x1).reshape([3, 2]), np.array(t)).data();
    const expected = x0.map((a, i) => (1 - (t[Math.floor(i / 2)] as number)) * a + (t[Math.floor(i / 2)] as number) * (x1[i] as number));
    expect(maxAbsDiff(xt, expected)).toBeLessThan(1e-6);
    expect(Array.from(xt.slice(0, 2))).toEqual(x0.slice(0, 2));
    expect(maxAbsDiff(xt.slice(4), x1.slice(4))).toBe(0);
  });

  it("v = x1 − x0 is the time derivative of x_t (finite difference)", async () => {
    const h = 1e-2;
    const a = await noisify(np.array(x0), np.array(x1), 0.4 + h).data();
    const b = await noisify(np.array(x0), np.array(x1), 0.4).data();
    const v = await velocityTarget(np.array(x0), np.array(x1)).data();
    expect(maxAbsDiff(Array.from(a as Float32Array, (ai, i) => (ai - (b[i] as number)) / h), v)).toBeLessThan(1e-3);
  });

  it("the per-sample loss is the mean squared error over non-batch axes", async () => {
    const pred = np.array([1, 2, 3, 4]).reshape([2, 2]);
    const target = np.array([0, 0, 1, 1]).reshape([2, 2]);
    const loss = await flowMatchingLossPerSample(pred, target).data();
    expect(Array.from(loss)).toEqual([(1 + 4) / 2, (4 + 9) / 2]);
  });
});

describe("edit-weighted loss (Eq. 2 weighted)", () => {
  const pred = [1, 2, 3, 4, 0.5, -1];
  const target = [0, 0, 1, 1, 0, 0];
  const w = [1, 9, 1, 1, 1, 1];
  const arr = (x: number[]) => np.array(x).reshape([2, 3]);

  it("Σ w·d² / Σ w per sample (by hand); w ≡ 1 is the plain mean", async () => {
    const loss = await weightedFlowMatchingLossPerSample(arr(pred), arr(target), arr(w)).data();
    // sample 0: d = (1, 2, 2), w = (1, 9, 1) → (1 + 36 + 4) / 11; sample 1: d = (3, 0.5, −1), w ≡ 1 → (9 + 0.25 + 1) / 3
    expect(Array.from(loss)).toEqual([Math.fround(41 / 11), Math.fround(10.25 / 3)]);
    const ones = await weightedFlowMatchingLossPerSample(arr(pred), arr(target), arr([1, 1, 1, 1, 1, 1])).data();
    const plain = await flowMatchingLossPerSample(arr(pred), arr(target)).data();
    expect(maxAbsDiff(ones, plain)).toBeLessThan(1e-6);
  });

  it("its gradient is 2·w·d / Σ w (central finite differences agree)", async () => {
    const f = (p: number[]) => weightedFlowMatchingLossPerSample(arr(p), arr(target), arr(w)).sum();
    const grad = await jax.grad((p: JaxArray) => weightedFlowMatchingLossPerSample(p, arr(target), arr(w)).sum())(arr(pred)).data();
    const analytic = pred.map((p, i) => (2 * w[i]! * (p - target[i]!)) / (i < 3 ? 11 : 3));
    expect(maxAbsDiff(grad, analytic)).toBeLessThan(1e-5);
    const h = 1e-2;
    for (let i = 0; i < pred.length; i++) {
      const up = await f(pred.map((p, k) => (k === i ? p + h : p))).data();
      const down = await f(pred.map((p, k) => (k === i ? p - h : p))).data();
      expect(Math.abs(((up[0]! - down[0]!) / (2 * h)) - analytic[i]!)).toBeLessThan(2e-3);
    }
  });
});

describe("logit-normal timesteps", () => {
  it("logit(t) ~ N(mean, std²) within sampling error; all t in (0, 1); deterministic per key", async () => {
    const n = 20000;
    const t = (await sampleLogitNormal(random.key(3), n, { mean: 0.5, std: 0.8 }).data()) as Float32Array;
    const again = await sampleLogitNormal(random.key(3), n, { mean: 0.5, std: 0.8 }).data();
    expect(Array.from(again)).toEqual(Array.from(t));
    const logits = Array.from(t as Float32Array, (x) => Math.log(x / (1 - x)));
    expect(Math.min(...t)).toBeGreaterThan(0);
    expect(Math.max(...t)).toBeLessThan(1);
    const mean = logits.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(logits.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean - 0.5)).toBeLessThan((5 * 0.8) / Math.sqrt(n));
    expect(Math.abs(sd - 0.8)).toBeLessThan(5 * 0.8 * Math.sqrt(1 / (2 * n)));
  });

  it("the shifted variant applies time_shift(mu) to each sample", async () => {
    const base = await sampleLogitNormal(random.key(9), 16).data();
    const shifted = await sampleLogitNormal(random.key(9), 16, { mu: 1.15 }).data();
    const e = Math.exp(1.15);
    expect(maxAbsDiff(shifted, Array.from(base as Float32Array, (t) => e / (e + 1 / t - 1)))).toBeLessThan(1e-6);
  });

  it("the host-side logitNormalTime is sigmoid(mean + std·z), then time_shift(mu)", () => {
    expect(logitNormalTime(0)).toBe(0.5);
    expect(logitNormalTime(1, { mean: 0.5, std: 2 })).toBeCloseTo(1 / (1 + Math.exp(-2.5)), 12);
    const t = 1 / (1 + Math.exp(0.3));
    const e = Math.exp(0.63);
    expect(logitNormalTime(-0.3, { mu: 0.63 })).toBeCloseTo(e / (e + 1 / t - 1), 12);
  });
});
