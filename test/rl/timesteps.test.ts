/** Forward-process training timesteps: the sampler grid, permuted per sample, int(steps·0.99) of them. */
import { describe, expect, it } from "vitest";
import { trainingTimesteps } from "../../src/rl/timesteps.js";
import { rng } from "./helpers.js";

describe("trainingTimesteps", () => {
  // Kontext at 512² (anchors-algorithms.md §1.5): 6 sampler sigmas → 5 training timesteps per sample.
  const grid = [1.0, 0.904, 0.79, 0.652, 0.484, 0.273];

  it("takes int(6·0.99) = 5 distinct grid times per sample, in a per-sample order", () => {
    const ts = trainingTimesteps(grid, 64, rng(3));
    expect(ts).toHaveLength(64);
    for (const row of ts) {
      expect(row).toHaveLength(5);
      expect(new Set(row).size).toBe(5);
      for (const t of row) expect(grid).toContain(t);
    }
    expect(new Set(ts.map((r) => r.join(","))).size).toBeGreaterThan(20); // permuted independently
    // every grid time, t = 1 included, is left out by some sample
    for (const t of grid) expect(ts.some((r) => !r.includes(t))).toBe(true);
  });

  it("is deterministic given the generator's seed", () => {
    expect(trainingTimesteps(grid, 8, rng(9))).toEqual(trainingTimesteps(grid, 8, rng(9)));
    expect(trainingTimesteps(grid, 8, rng(9))).not.toEqual(trainingTimesteps(grid, 8, rng(10)));
  });

  it("fraction 1 keeps the whole grid; 10 steps × 0.99 keep 9", () => {
    expect(trainingTimesteps(grid, 1, rng(1), 1)[0]?.slice().sort()).toEqual(grid.slice().sort());
    expect(trainingTimesteps([...Array(10).keys()], 1, rng(1))[0]).toHaveLength(9);
    expect(() => trainingTimesteps([1], 1, rng(1))).toThrow(/leaves no timestep/);
    expect(() => trainingTimesteps(grid, 1, rng(1), 0)).toThrow(/fraction/);
  });
});
