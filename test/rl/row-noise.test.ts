/** The forward-process rows' timesteps and noise: per row (reference trainers) or shared per group. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/rng.js";
import { trainingTimesteps } from "../../src/rl/timesteps.js";
import { planRowNoise } from "../../src/rl/trainer/row-noise.js";

const grid = [1.0, 0.904, 0.79, 0.652, 0.484, 0.273];
// 3 groups of 4 samples; sample 5 is masked out (not a unit).
const units = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11];
const groupOf = (u: number): number => Math.floor(u / 4);

describe("planRowNoise", () => {
  it("per-row draws exactly the reference stream: one permutation per unit, no noise up front", () => {
    const a = new Rng(5);
    const plan = planRowNoise(units, groupOf, grid, 0.99, "per-row", a, 12);
    const b = new Rng(5);
    const expected = trainingTimesteps(grid, units.length, () => b.uniform(), 0.99);
    expect(plan.K).toBe(5);
    units.forEach((u, i) => expect(plan.times(u)).toEqual(expected[i]));
    units.forEach((u) => expect(plan.noise(u, 0)).toBeNull());
    expect(a.uniform()).toBe(b.uniform()); // nothing else was consumed
  });

  it("per-group: the samples of a group share their times and every row's ε; groups differ", () => {
    const plan = planRowNoise(units, groupOf, grid, 0.5, "per-group", new Rng(7), 12);
    expect(plan.K).toBe(3);
    for (const u of units) {
      expect(plan.times(u)).toEqual(plan.times(groupOf(u) * 4 + 3));
      for (let j = 0; j < plan.K; j++) expect(plan.noise(u, j)).toEqual(plan.noise(groupOf(u) * 4 + 3, j));
    }
    expect(plan.noise(0, 0)).not.toEqual(plan.noise(4, 0));
    expect(plan.noise(0, 0)).not.toEqual(plan.noise(0, 1));
  });

  it("per-group keeps each row's ε standard normal (the expected loss is unchanged)", () => {
    const many = Array.from({ length: 400 }, (_, i) => i);
    const plan = planRowNoise(many, (u) => Math.floor(u / 8), grid, 0.99, "per-group", new Rng(11), 64);
    const xs = Array.from({ length: 50 }, (_, g) => [...plan.noise(g * 8, 0)!]).flat();
    const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.05); // 3200 draws: sd of the mean ≈ 0.018
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
  });

  it("per-group: with zero-sum advantages the ε part of Σ Adv·(v − v̂) = Σ Adv·ε cancels exactly", () => {
    const plan = planRowNoise([0, 1, 2, 3], () => 0, grid, 0.99, "per-group", new Rng(3), 16);
    const adv = [0.9, -0.4, 0.1, -0.6];
    for (let k = 0; k < 16; k++) {
      const s = adv.reduce((a, w, u) => a + w * plan.noise(u, 2)![k]!, 0);
      expect(Math.abs(s)).toBeLessThan(1e-6);
    }
    const perRow = new Rng(3);
    const fresh = adv.map(() => perRow.normalArray(16));
    const spread = Math.abs(adv.reduce((a, w, u) => a + w * fresh[u]![0]!, 0)) + Math.abs(adv.reduce((a, w, u) => a + w * fresh[u]![1]!, 0));
    expect(spread).toBeGreaterThan(1e-3); // per-row ε do not cancel
  });
});
