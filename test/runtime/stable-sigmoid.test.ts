import { describe, expect, it } from "vitest";
import { initJax, jax, nn, np, type JaxArray } from "../../src/runtime/jax.js";
import { logSigmoid, sigmoid } from "../../src/runtime/stable-sigmoid.js";

const Z = [-120, -95, -81, -20, 0, 3, 20, 95];

describe("stable sigmoid", () => {
  it("has the value of σ and a finite gradient σ(1 − σ) everywhere, where nn.sigmoid's gradient is NaN", async () => {
    await initJax();
    const value = await sigmoid(np.array(Z)).data();
    const grad = await jax.jit(jax.grad((z: JaxArray) => sigmoid(z).sum()))(np.array(Z)).data();
    Z.forEach((z, i) => {
      const s = 1 / (1 + Math.exp(-z));
      expect(value[i]).toBeCloseTo(s, 7);
      expect(Number.isFinite(grad[i]!)).toBe(true);
      expect(grad[i]).toBeCloseTo(s * (1 - s), 7);
    });
    const raw = await jax.jit(jax.grad((z: JaxArray) => nn.sigmoid(z).sum()))(np.array(Z)).data();
    expect(Number.isNaN(raw[0]!)).toBe(true);
  });
});

describe("stable log-sigmoid", () => {
  it("has the value log σ(z) and gradient 1 − σ(z) everywhere, including z = 0 and z ≪ −88", async () => {
    await initJax();
    const zs = [-1000, -120, -30.5, -29.5, -3, 0, 2, 40, 1000];
    const value = await logSigmoid(np.array(zs)).data();
    const grad = await jax.jit(jax.grad((z: JaxArray) => logSigmoid(z).sum()))(np.array(zs)).data();
    zs.forEach((z, i) => {
      const logSig = z < 0 ? z - Math.log1p(Math.exp(z)) : -Math.log1p(Math.exp(-z));
      const dLogSig = 1 / (1 + Math.exp(z));
      expect(Math.abs(value[i]! - logSig)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(logSig)));
      expect(grad[i]).toBeCloseTo(dLogSig, 6);
    });
  });
});
