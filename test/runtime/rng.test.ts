import { describe, expect, it } from "vitest";
import { initJax, random } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xa);
  });

  it("resumes exactly from a serialised state (including the cached normal)", () => {
    const r = new Rng(7);
    r.normal(); // leaves a spare deviate cached
    const saved = JSON.parse(JSON.stringify(r.getState())) as ReturnType<Rng["getState"]>;
    const expected = [r.normal(), r.uniform(), r.int(10), ...r.permutation(6)];
    const s = new Rng(0);
    s.setState(saved);
    expect([s.normal(), s.uniform(), s.int(10), ...s.permutation(6)]).toEqual(expected);
    expect(() => s.setState({ s: [1, 2, 3], spare: null } as never)).toThrow(/not a state/);
  });

  it("normal() has mean 0 and variance 1; uniform() lies in [0, 1) with mean 1/2", () => {
    const r = new Rng(1);
    const n = 20000;
    const z = r.normalArray(n);
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    // 5 standard errors: se(mean) = 1/√n ≈ 0.007, se(var) = √(2/n) ≈ 0.01
    expect(Math.abs(mean)).toBeLessThan(0.035);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const u = r.uniformArray(n);
    expect(u.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
  });

  it("permutation() is a permutation; fork() gives an independent deterministic stream", () => {
    const r = new Rng(3);
    const p = r.permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const f1 = new Rng(3).fork();
    const f2 = new Rng(3).fork();
    expect(f1.nextUint32()).toBe(f2.nextUint32());
  });

  it("jaxKey() derives reproducible jax-js keys from the stream", async () => {
    await initJax();
    const draw = async (seed: number): Promise<number[]> => Array.from(await random.normal(new Rng(seed).jaxKey(), [4]).data());
    expect(await draw(5)).toEqual(await draw(5));
    expect(await draw(5)).not.toEqual(await draw(6));
  });
});
