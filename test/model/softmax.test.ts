import { describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { maskedSoftmax, maxKeepdims, softmax } from "../../src/model/softmax.js";
import { Rng } from "../../src/runtime/rng.js";

const W = [1, 2, 3, 4];

function reference(s: number[], keep: number[]): number[] {
  const m = Math.max(...s.filter((_, i) => keep[i] === 1));
  const e = s.map((x, i) => (keep[i] === 1 ? Math.exp(x - m) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (z > 0 ? x / z : 0));
}

/** d/ds_i Σ_j w_j p_j = p_i (w_i − Σ_j w_j p_j), by hand. */
function referenceGrad(s: number[], keep: number[]): number[] {
  const p = reference(s, keep);
  const avg = p.reduce((a, pi, j) => a + pi * W[j]!, 0);
  return p.map((pi, i) => pi * (W[i]! - avg));
}

describe("model softmax", () => {
  it.each([
    [[0.3, -1.2, 2.0, 0.1]],
    [[100, 95, -3, 99]],
    [[-200, -180, -195, -199]],
  ])("matches the formula in value and gradient for logits %j, also where exp over/underflows", async (s) => {
    await initJax();
    const keepAll = [1, 1, 1, 1];
    const f = (x: JaxArray) => softmax(x, -1).mul(np.array(W)).sum();
    const p = await softmax(np.array(s), -1).data();
    const g = await jax.jit(jax.grad(f))(np.array(s)).data();
    reference(s, keepAll).forEach((v, i) => expect(p[i]).toBeCloseTo(v, 6));
    referenceGrad(s, keepAll).forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
  });

  it("masked: dropped entries get probability and gradient 0; an all-dropped slice gives zeros, not NaN", async () => {
    await initJax();
    const s = [-150, 3, -160, 7];
    const keep = [1, 0, 1, 0];
    const f = (x: JaxArray) => maskedSoftmax(x, np.array(keep), 0).mul(np.array(W)).sum();
    const g = await jax.jit(jax.grad(f))(np.array(s)).data();
    referenceGrad(s, keep).forEach((v, i) => expect(g[i]).toBeCloseTo(v, 5));
    const none = await maskedSoftmax(np.array(s), np.array([0, 0, 0, 0]), 0).data();
    expect(Array.from(none)).toEqual([0, 0, 0, 0]);
    const gNone = await jax.jit(jax.grad((x: JaxArray) => maskedSoftmax(x, np.array([0, 0, 0, 0]), 0).sum()))(np.array(s)).data();
    expect(Array.from(gNone).every((v) => v === 0)).toBe(true);
  });

  it("the two-pass max over the last axis equals the one-pass max exactly, and softmax along 12 logits matches the formula", async () => {
    await initJax();
    const rng = new Rng(3);
    const x = rng.normalArray(3 * 5 * 132, 50);
    x[7] = -1e30; // a masked-looking entry
    x[200] = x[201]!; // a tie
    const two = await maxKeepdims(np.array(x, { shape: [3, 5, 132] }), -1).data();
    const one = await np.array(x, { shape: [3, 5, 132] }).max(-1, { keepdims: true }).data();
    expect(Array.from(two)).toEqual(Array.from(one));
    const s = [0.3, -1.2, 2.0, 0.1, 100, 95, -3, 99, -0.5, 98.5, 7, 100.25];
    const p = await softmax(np.array(s), -1).data();
    reference(s, s.map(() => 1)).forEach((v, i) => expect(p[i]).toBeCloseTo(v, 6));
  });
});
