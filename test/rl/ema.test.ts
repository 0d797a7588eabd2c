/** Old-policy and eval EMA schedules (DiffusionNFT `return_decay`, flow_grpo EMAModuleWrapper): golden values and round trips. */
import { describe, expect, it } from "vitest";
import { EvalEma, OldPolicy, evalEmaDecay, mixInto, oldPolicyDecay } from "../../src/rl/ema.js";
import { expectClose } from "./helpers.js";

describe("old-policy decay d(step)", () => {
  it("type 0: always 0 (on-policy)", () => {
    expect([0, 1, 100, 1e6].map((s) => oldPolicyDecay(s, 0))).toEqual([0, 0, 0, 0]);
  });
  it("type 1: min(0.001·step, 0.5)", () => {
    expect([0, 1, 60, 100, 499, 500, 800].map((s) => oldPolicyDecay(s, 1))).toEqual([0, 0.001, 0.06, 0.1, 0.499, 0.5, 0.5]);
  });
  it("type 2: 0 before step 75, then min(0.0075·(step − 75), 0.999)", () => {
    const d = [0, 74, 75, 76, 100, 208, 209, 1000].map((s) => oldPolicyDecay(s, 2));
    expectClose(d, [0, 0, 0, 0.0075, 0.1875, 0.9975, 0.999, 0.999], 1e-12);
  });
});

describe("eval EMA decay d_k = min((1 + k)/(10 + k), cap)", () => {
  it("golden values", () => {
    expectClose([0, 1, 10, 80, 81, 1000].map((k) => evalEmaDecay(k, 0.9)), [0.1, 2 / 11, 11 / 20, 0.9, 0.9, 0.9], 1e-12);
    expect(evalEmaDecay(1000, 0.99)).toBe(0.99); // 1001/1010 > 0.99
    expect(evalEmaDecay(50, 0.99)).toBeCloseTo(51 / 60, 12);
  });
});

describe("OldPolicy", () => {
  it("θ_old ← d·θ_old + (1 − d)·θ once per epoch, and survives a JSON round trip", () => {
    const old = OldPolicy.init(Float32Array.from([0, 0, 4]), 1);
    expect(old.update(Float32Array.from([1, 2, 4]), 100)).toBe(0.1); // d = 0.1
    expectClose(old.vector, [0.9, 1.8, 4], 1e-6);
    expect(old.update(Float32Array.from([0, 0, 0]), 0)).toBe(0); // type 1 at step 0: copy
    expectClose(old.vector, [0, 0, 0], 0);
    const back = OldPolicy.restore(JSON.parse(JSON.stringify(old.state())), old.vector);
    expect(back.state()).toEqual({ kind: "old-policy", decayType: 1, updates: 2, length: 3 });
    expect(Array.from(back.vector)).toEqual(Array.from(old.vector));
    expect(back.vector).not.toBe(old.vector);
  });

  it("the vector is a copy of θ, not an alias", () => {
    const theta = Float32Array.from([1, 2]);
    const old = OldPolicy.init(theta, 0);
    theta[0] = 5;
    expect(old.vector[0]).toBe(1);
  });

  it("rejects a state that does not match its vector or is malformed", () => {
    const s = OldPolicy.init(new Float32Array(3), 2).state();
    expect(() => OldPolicy.restore(s, new Float32Array(4))).toThrow(/3 values, vector has 4/);
    expect(() => OldPolicy.restore({ ...s, decayType: 3 }, new Float32Array(3))).toThrow();
  });
});

describe("EvalEma", () => {
  it("updates every `interval` optimizer steps with d_k, and round-trips", () => {
    const ema = EvalEma.init(Float32Array.from([0, 10]), 0.9, 2);
    expect(ema.update(Float32Array.from([1, 0]), 0)).toBeUndefined(); // (0 + 1) % 2 ≠ 0
    expectClose(ema.vector, [0, 10], 0);
    const d = ema.update(Float32Array.from([1, 0]), 1) as number; // d_1 = 2/11
    expect(d).toBeCloseTo(2 / 11, 12);
    expectClose(ema.vector, [9 / 11, 20 / 11], 1e-6);
    const back = EvalEma.restore(JSON.parse(JSON.stringify(ema.state())), ema.vector);
    expect(back.state()).toEqual({ kind: "eval-ema", cap: 0.9, interval: 2, length: 2 });
    expect(back.update(Float32Array.from([1, 0]), 3)).toBeCloseTo(4 / 13, 12);
  });
});

describe("the mix on flat vectors", () => {
  it("d·avg + (1 − d)·x, in place", () => {
    const flat = Float32Array.from([0.5, -2, 3, 1e-3]);
    mixInto(flat, Float32Array.from([1, 2, -3, 7]), 0.3);
    expectClose(flat, [0.85, 0.8, -1.2, 4.9003], 1e-6);
  });
});
