import { describe, expect, it } from "vitest";
import { aggregateRewards } from "../../src/reward/aggregate.js";
import { naspoAdvantages } from "../../src/rl/advantages.js";
import { levelProbabilities, levelScore } from "../../src/reward/score.js";
import { mapTokensToLevels, normaliseToken } from "../../src/reward/token-map.js";

const L = [0, 1, 2, 3, 4];
const log = Math.log;

describe("Eq. 9–11: score from level log-probabilities", () => {
  it("renormalises over the levels and takes the normalised expectation", () => {
    // p = (0.1, 0.2, 0.3, 0.4, 0) before renormalisation times 0.5 (mass 0.5 lost to other tokens)
    const lp = [log(0.05), log(0.1), log(0.15), log(0.2), -Infinity];
    expect(levelProbabilities(lp).map((p) => +p.toFixed(12))).toEqual([0.1, 0.2, 0.3, 0.4, 0]);
    // S = 0·0.1 + 1·0.2 + 2·0.3 + 3·0.4 = 2.0; s = (2 − 0)/(4 − 0) = 0.5
    expect(levelScore(lp, L)).toBeCloseTo(0.5, 12);
  });

  it("uses min and max of the levels (Eq. 11) for non-zero-based scales", () => {
    // levels 1..5, p = (0, 0, 0.5, 0.5, 0): S = 3.5, s = (3.5 − 1)/4 = 0.625
    expect(levelScore([-Infinity, -Infinity, log(0.5), log(0.5), -Infinity], [1, 2, 3, 4, 5])).toBeCloseTo(0.625, 12);
    expect(levelScore([0, -Infinity], [0, 1])).toBe(0);
    expect(levelScore([-Infinity, 0], [0, 1])).toBe(1);
  });

  it("is NaN when any log-prob is NaN or no level has mass", () => {
    expect(levelScore([Number.NaN, 0, 0, 0, 0], L)).toBeNaN();
    expect(levelScore(L.map(() => -Infinity), L)).toBeNaN();
  });

  it("maps tokens: trims spaces and byte-level markers, sums duplicates, ignores the rest", () => {
    expect(["3", " 3", "Ġ3", "▁3", "3\n", "Ċ3"].map(normaliseToken)).toEqual(["3", "3", "3", "3", "3", "3"]);
    const m = mapTokensToLevels(
      [
        { token: "4", logprob: log(0.3) },
        { token: " 4", logprob: log(0.1) },
        { token: "▁1", logprob: log(0.2) },
        { token: "four", logprob: log(0.2) },
        { token: "44", logprob: log(0.1) },
        { token: "4", logprob: log(0.05) },
      ],
      L,
    );
    expect(m.mass).toBeCloseTo(0.6, 12);
    expect(m.logprobs[4]).toBeCloseTo(log(0.4 / 0.6), 12);
    expect(m.logprobs[1]).toBeCloseTo(log(0.2 / 0.6), 12);
    expect(m.logprobs[0]).toBe(-Infinity);
    // S = (1·0.2 + 4·0.4)/0.6 = 3; s = 0.75
    expect(levelScore(m.logprobs, L)).toBeCloseTo(0.75, 12);
  });
});

describe("Eq. 12–13: within-group standardization", () => {
  it("z-scores each objective within its group, then the weighted sum (golden values)", () => {
    // group a: dp = (0.2, 0.4, 0.6) → mean 0.4, pop. std √(0.08/3); pf = (0.9, 0.5, 0.1) → mean 0.5, std √(0.32/3)
    // ẑ_dp = (−√1.5, 0, √1.5), ẑ_pf = (√1.5, 0, −√1.5); w_dp = 0.75: s = 0.75·ẑ_dp + 0.25·ẑ_pf = (−0.5√1.5, 0, 0.5√1.5)
    // group b: dp = (1, 0), pf = (0, 0): ẑ_dp = (1, −1), ẑ_pf = (0, 0) (std floored) → s = (0.75, −0.75)
    const r = aggregateRewards([0.2, 1, 0.4, 0, 0.6], [0.9, 0, 0.5, 0, 0.1], ["a", "b", "a", "b", "a"], { wDp: 0.75, recipe: "standardized" });
    const h = 0.5 * Math.sqrt(1.5);
    const want = [-h, 0.75, 0, -0.75, h];
    r.s.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    expect(r.valid).toEqual([true, true, true, true, true]);
    expect(r.nanCount).toBe(0);
  });

  it("masks and counts NaN samples; a group left with < 2 valid samples contributes nothing", () => {
    // group a: NaN pf in sample 1 → the other two: dp (0, 1), pf (1, 0) → ẑ_dp (−1, 1), ẑ_pf (1, −1); w_dp = ½ → (0, 0)
    // with w_dp = 1: (−1, 1). group b: one NaN of two → dropped. group c: a single sample → dropped.
    const dp = [0, 0.5, 1, Number.NaN, 0.3, 0.9];
    const pf = [1, Number.NaN, 0, 0.2, 0.3, 0.9];
    const g = ["a", "a", "a", "b", "b", "c"];
    const r = aggregateRewards(dp, pf, g, { wDp: 1, recipe: "standardized" });
    expect(r.valid).toEqual([true, false, true, false, false, false]);
    expect(r.s[0]).toBeCloseTo(-1, 12);
    expect(r.s[2]).toBeCloseTo(1, 12);
    expect(r.s.filter((_, i) => !r.valid[i]).every(Number.isNaN)).toBe(true);
    expect(r.nanCount).toBe(2);
    expect(r.droppedGroups).toBe(2);
    expect(aggregateRewards(dp, pf, g, { wDp: 0.5, recipe: "standardized" }).s[0]).toBeCloseTo(0, 12);
  });

  it("a group of identical scores gets zeros (std floor 1e-6), not infinities", () => {
    const r = aggregateRewards([0.5, 0.5, 0.5], [0.2, 0.2, 0.2], ["g", "g", "g"], { wDp: 0.5, recipe: "standardized" });
    expect(r.s).toEqual([0, 0, 0]);
  });

  it("the baselines' recipe: weighted raw sum, group mean, global std + 1e-4", () => {
    // raw = ½dp + ½pf: group a (0.5, 0.3) mean 0.4; group b (0.9, 0.1) mean 0.5
    // global pop. std of (0.5, 0.3, 0.9, 0.1): mean 0.45, var = (0.0025+0.0225+0.2025+0.1225)/4 = 0.0875
    const r = aggregateRewards([1, 0.6, 0.8, 0.2], [0, 0, 1, 0], ["a", "a", "b", "b"], { wDp: 0.5, recipe: "raw-sum" });
    const sd = Math.sqrt(0.0875) + 1e-4;
    [0.1 / sd, -0.1 / sd, 0.4 / sd, -0.4 / sd].forEach((w, i) => expect(r.s[i]).toBeCloseTo(w, 12));
  });

  it("standardization makes the two objectives commensurable: a scaled-down objective still counts as much", () => {
    const dp = [0.9, 0.91, 0.92, 0.93];
    const pf = [0.8, 0.5, 0.2, 0.1];
    const ours = aggregateRewards(dp, pf, ["g", "g", "g", "g"], { wDp: 0.5, recipe: "standardized" }).s;
    const scaled = aggregateRewards(dp.map((d) => d * 10 - 8), pf, ["g", "g", "g", "g"], { wDp: 0.5, recipe: "standardized" }).s;
    ours.forEach((v, i) => expect(scaled[i]).toBeCloseTo(v, 9));
  });

  it("rejects weights outside [0, 1] and mismatched lengths", () => {
    expect(() => aggregateRewards([1], [1], ["g"], { wDp: 1.5, recipe: "standardized" })).toThrow(/wDp/);
    expect(() => aggregateRewards([1, 2], [1], ["g"], { wDp: 0.5, recipe: "standardized" })).toThrow(/lengths/);
  });
});

describe("Eq. 14 on the Eq. 13 rewards (src/rl/advantages.ts)", () => {
  it("golden: dp/pf → s → Adv = ½ + ½·clip(z, −1, 1); NaN and lone samples masked", () => {
    // group a as in the golden test above: s = (−h, 0, h), std_G(s) = h·√(2/3) → z = (−√1.5, 0, √1.5) → clipped ±1
    // → Adv = (0, ½, 1). Group b: one NaN of two → masked, neutral ½.
    const dp = [0.2, 0.4, 0.6, Number.NaN, 0.5];
    const pf = [0.9, 0.5, 0.1, 0.3, 0.5];
    const g = ["a", "a", "a", "b", "b"];
    const agg = aggregateRewards(dp, pf, g, { wDp: 0.75, recipe: "standardized" });
    const adv = naspoAdvantages(agg.s, g);
    [0, 0.5, 1].forEach((w, i) => expect(adv.adv[i]).toBeCloseTo(w, 12));
    expect(adv.z[0]).toBeCloseTo(-Math.sqrt(1.5), 12);
    expect(adv.mask).toEqual([1, 1, 1, 0, 0]);
    expect(adv.adv[3]).toBe(0.5);
  });
});
