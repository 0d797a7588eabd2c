/** Eq. 14 and the baselines' advantage recipes: golden values by hand, NaN masking, degenerate groups. */
import { describe, expect, it } from "vitest";
import { aggregateRewards } from "../../src/reward/aggregate.js";
import { meanStd } from "../../src/runtime/group-stats.js";
import { bestWorstPairs, ktoLabels, naspoAdvantages, nftOptimality } from "../../src/rl/advantages.js";
import { expectClose } from "./helpers.js";

describe("Eq. 14: Adv = ½ + ½·clip((s − mean_G)/std_G, −1, 1)", () => {
  it("one group of four", () => {
    // mean 2.5, population std √1.25 = 1.118034 → z = ∓1.341641, ∓0.447214
    const r = naspoAdvantages([1, 2, 3, 4], ["g", "g", "g", "g"]);
    const z = [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(1.25));
    expectClose(r.z, z, 1e-12);
    expectClose(r.adv, [0, 0.5 - 0.5 * 0.4472136, 0.5 + 0.5 * 0.4472136, 1], 1e-7);
    expect(r.mask).toEqual([1, 1, 1, 1]);
    expect(r.droppedGroups).toBe(0);
  });

  it("groups are keyed, not positional; a NaN sample is masked and left out of its group's statistics", () => {
    // group a: 1, NaN, 3 → valid {1, 3}: mean 2, std 1 → z = −1, +1 → Adv 0, 1
    // group b: 10, 10.5, 9.5 (interleaved) → mean 10, std √(1/6) → z = 0, ±1.224745 → Adv ½, 1, 0
    const r = naspoAdvantages([1, 10, Number.NaN, 10.5, 3, 9.5], ["a", "b", "a", "b", "a", "b"]);
    expect(r.mask).toEqual([1, 1, 0, 1, 1, 1]);
    expectClose(r.adv, [0, 0.5, 0.5, 1, 1, 0], 1e-12);
    expectClose(r.z, [-1, 0, 0, 0.5 / Math.sqrt(1 / 6), 1, -0.5 / Math.sqrt(1 / 6)], 1e-12);
  });

  it("a group with fewer than 2 valid samples contributes nothing; a flat group gets Adv ½ (std floor 1e-6)", () => {
    const r = naspoAdvantages([0.7, Number.NaN, 0.2, 0.2, 0.2, 5], ["x", "x", "y", "y", "y", "z"]);
    expect(r.mask).toEqual([0, 0, 1, 1, 1, 0]);
    expect(r.adv).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(r.droppedGroups).toBe(2);
  });

  it("the std floor is 1e-6: a spread of 1e-7 is blown up to the clip", () => {
    const r = naspoAdvantages([0.5, 0.5 + 2e-7], [0, 0]);
    // std = 1e-7 → floored to 1e-6 → z = ∓0.1
    expectClose(r.z, [-0.1, 0.1], 1e-6);
    const big = naspoAdvantages([0.5, 0.5 + 2e-5], [0, 0]);
    expectClose(big.adv, [0, 1], 1e-9);
  });
});

describe("baseline recipes", () => {
  it("per-group mean, global std + 1e-4", () => {
    // groups a: 1, 3 (mean 2); b: 2, 6 (mean 4); batch {1, 3, 2, 6}: mean 3, var 3.5
    // the raw sum of equal objectives is the reward itself
    const rewards = [1, 2, 3, 6];
    const r = aggregateRewards(rewards, rewards, ["a", "b", "a", "b"], { wDp: 0.5, recipe: "raw-sum" });
    const s = Math.sqrt(3.5) + 1e-4;
    expectClose(r.s, [-1 / s, -2 / s, 1 / s, 2 / s], 1e-12);
    expect(r.valid).toEqual([true, true, true, true]);
  });

  it("NaN and single-sample groups are masked (s NaN) and counted as dropped", () => {
    const rewards = [1, 3, Number.NaN, 7, 2];
    const r = aggregateRewards(rewards, rewards, ["a", "a", "b", "b", "c"], { wDp: 0.5, recipe: "raw-sum" });
    // only group a is kept: the global std is its own, 1
    expectClose(r.s.slice(0, 2), [-1 / (1 + 1e-4), 1 / (1 + 1e-4)], 1e-12);
    expect(r.s.slice(2).every(Number.isNaN)).toBe(true);
    expect(r.valid).toEqual([true, true, false, false, false]);
    expect(r.droppedGroups).toBe(2);
  });

  it("group statistics: population std; shifted by the first value a flat group has exactly zero spread", () => {
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([2, 4, 4, 4, 5, 5, 7, 9], 0)).toEqual({ mean: 5, std: 2 });
    expect(meanStd([0.1, 0.1, 0.1]).std).toBe(0);
  });

  it("DiffusionNFT's optimality probability r = ½ + ½·clip(A/Amax, −1, 1)", () => {
    expect(nftOptimality([-10, -2.5, 0, 1, 5, 7])).toEqual([0, 0.25, 0.5, 0.6, 1, 1]);
    expect(nftOptimality([0.5], 1)).toEqual([0.75]);
  });

  it("KTO labels from the sign of A; A = 0 and masked samples carry no weight", () => {
    expect(ktoLabels([0.3, -0.2, 0, 0.5], [1, 1, 1, 0])).toEqual({ label: [1, 0, 0, 1], mask: [1, 1, 0, 0] });
  });

  it("online pairs: best and worst valid sample of each group, none for a flat group", () => {
    const scores = [0.2, 0.9, Number.NaN, 0.1, 0.5, 0.5, 0.3, 0.3, 0.8];
    const groups = ["a", "a", "a", "a", "b", "b", "c", "c", "c"];
    // a: best 1 (0.9), worst 3 (0.1), NaN skipped; b: flat → none; c: best 8, worst 6 (first of the ties)
    expect(bestWorstPairs(scores, groups)).toEqual([
      { group: "a", winner: 1, loser: 3 },
      { group: "c", winner: 8, loser: 6 },
    ]);
    expect(bestWorstPairs(scores, groups, [1, 0, 1, 1, 1, 1, 1, 1, 1])).toEqual([
      { group: "a", winner: 0, loser: 3 },
      { group: "c", winner: 8, loser: 6 },
    ]);
  });

  it("rejects mismatched lengths", () => {
    expect(() => naspoAdvantages([1, 2], ["a"])).toThrow(/2 values vs 1 group keys/);
  });
});
