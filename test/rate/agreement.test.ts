import { describe, expect, it } from "vitest";
import { agreement, averageRanks, kendallTauB, pearson, spearman } from "../../src/eval/agreement.js";
import { bootstrapCi, meanEstimate, sortedQuantile } from "../../src/eval/bootstrap.js";
import { Rng } from "../../src/runtime/rng.js";

function uniforms(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.uniform();
}

describe("ranks and correlations (hand-computed)", () => {
  it("average ranks share tied positions", () => {
    expect(averageRanks([10, 30, 20, 30])).toEqual([1, 3.5, 2, 3.5]);
    expect(averageRanks([2, 2, 2])).toEqual([2, 2, 2]);
  });

  it("no ties: rho = 1 - 6 sum d^2 / (n(n^2-1)) = 0.8, tau = (8 - 2)/10 = 0.6", () => {
    const x = [1, 2, 3, 4, 5];
    const y = [2, 1, 4, 3, 5];
    expect(spearman(x, y)).toBeCloseTo(0.8, 12);
    expect(kendallTauB(x, y)).toBeCloseTo(0.6, 12);
  });

  it("ties: rho = 3.75/4.5, tau-b = 4/sqrt(5*5)", () => {
    // ranks x = [1.5, 1.5, 3, 4], y = [1, 2.5, 2.5, 4]: centred products sum 3.75, squares 4.5 and 4.5.
    // pairs: 4 concordant, 0 discordant, 1 tied in x, 1 tied in y, n0 = 6.
    const x = [1, 1, 2, 3];
    const y = [1, 2, 2, 3];
    expect(spearman(x, y)).toBeCloseTo(3.75 / 4.5, 12);
    expect(kendallTauB(x, y)).toBeCloseTo(0.8, 12);
  });

  it("ties on 0-4 scores: tau-b with a pair tied in both lists", () => {
    // pairs (i<j) of x=[0,0,2,4], y=[1,1,2,3]: (0,1) tied in both; (0,2),(0,3),(1,2),(1,3) concordant; (2,3) concordant.
    // nc = 5, nd = 0, n_x = 1, n_y = 1 -> 5/sqrt(5*5) = 1.
    expect(kendallTauB([0, 0, 2, 4], [1, 1, 2, 3])).toBeCloseTo(1, 12);
    // last two y values swapped: (2,3) discordant -> (4 - 1)/5 = 0.6
    expect(kendallTauB([0, 0, 2, 4], [1, 1, 3.5, 3])).toBeCloseTo(0.6, 12);
  });

  it("Knight's O(n log n) tau-b equals the pair-by-pair definition, ties included", () => {
    const byPairs = (x: number[], y: number[]): number => {
      let c = 0;
      let d = 0;
      let tx = 0;
      let ty = 0;
      for (let i = 0; i < x.length; i++) {
        for (let j = i + 1; j < x.length; j++) {
          const s = Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
          if (x[i] === x[j]) tx++;
          if (y[i] === y[j]) ty++;
          if (s > 0) c++;
          if (s < 0) d++;
        }
      }
      const n0 = (x.length * (x.length - 1)) / 2;
      return (c - d) / Math.sqrt((n0 - tx) * (n0 - ty));
    };
    const u = uniforms(11);
    for (const n of [2, 3, 5, 17, 64, 129]) {
      const x = Array.from({ length: n }, () => Math.floor(u() * 5));
      const y = x.map((v) => (u() < 0.6 ? v : Math.floor(u() * 5)));
      const z = Array.from({ length: n }, () => u());
      for (const [a, b] of [[x, y], [y, x], [x, z], [z, y]] as const) {
        const want = byPairs(a, b);
        if (Number.isNaN(want)) expect(kendallTauB(a, b)).toBeNaN();
        else expect(kendallTauB(a, b)).toBeCloseTo(want, 12);
      }
    }
  });

  it("identities: perfect, reversed, monotone invariance, symmetry, constant -> NaN", () => {
    const x = [0.3, 1.2, -4, 7, 2.5, 2.5, 9];
    const y = [1, 3, 0, 4, 2, 2, 4];
    expect(spearman(x, x)).toBeCloseTo(1, 12);
    expect(kendallTauB(x, x)).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -v))).toBeCloseTo(-1, 12);
    expect(kendallTauB(x, x.map((v) => -v))).toBeCloseTo(-1, 12);
    expect(spearman(x, y)).toBeCloseTo(spearman(x.map((v) => Math.exp(v)), y), 12);
    expect(kendallTauB(x, y)).toBeCloseTo(kendallTauB(y, x), 12);
    expect(spearman(x, y)).toBeCloseTo(spearman(y, x), 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(kendallTauB([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow(/lengths differ/);
  });
});

describe("bootstrap", () => {
  it("type-7 quantiles", () => {
    expect(sortedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(sortedQuantile([1, 2, 3, 4], 0)).toBe(1);
    expect(sortedQuantile([1, 2, 3, 4], 1)).toBe(4);
    expect(sortedQuantile([0, 10], 0.25)).toBe(2.5);
  });

  it("mean CI: deterministic, brackets the mean, width near 2*1.96*sd/sqrt(n)", () => {
    const u = uniforms(1);
    const values = Array.from({ length: 400 }, () => u() * 4);
    const a = meanEstimate(values, { seed: 3, resamples: 2000 });
    const b = meanEstimate(values, { seed: 3, resamples: 2000 });
    expect(a).toEqual(b);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    expect(a.value).toBeCloseTo(mean, 12);
    const [lo, hi] = a.ci95!;
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    const expected = (2 * 1.96 * sd) / Math.sqrt(values.length);
    expect((hi - lo) / expected).toBeGreaterThan(0.88);
    expect((hi - lo) / expected).toBeLessThan(1.12);
  });

  it("constant data: zero-width CI; too few units: null", () => {
    expect(meanEstimate([0.75, 0.75, 0.75]).ci95).toEqual([0.75, 0.75]);
    expect(meanEstimate([0.5]).ci95).toBeNull();
    expect(meanEstimate([])).toEqual({ value: null, ci95: null, n: 0 });
  });

  it("drops non-finite resamples and gives up when most are non-finite", () => {
    // statistic NaN unless the resample contains unit 0: with n = 2, P(no unit 0) = 1/4 -> CI exists
    expect(bootstrapCi(2, (idx) => (idx.includes(0) ? 1 : NaN), { resamples: 400 })).toEqual([1, 1]);
    // NaN unless every unit is 0: P = 1/4 -> fewer than half finite -> null
    expect(bootstrapCi(2, (idx) => (idx.every((i) => i === 0) ? 1 : NaN), { resamples: 400 })).toBeNull();
  });
});

describe("agreement with CIs", () => {
  it("values equal the plain functions; CIs bracket them and are reproducible", () => {
    const u = uniforms(5);
    const judge = Array.from({ length: 60 }, () => u());
    const human = judge.map((j) => Math.min(4, Math.max(0, Math.round(j * 4 + (u() - 0.5) * 2))));
    const a = agreement(human, judge, { seed: 2, resamples: 500 });
    expect(a.n).toBe(60);
    expect(a.spearman.value).toBeCloseTo(spearman(human, judge), 12);
    expect(a.kendall_tau_b.value).toBeCloseTo(kendallTauB(human, judge), 12);
    for (const e of [a.spearman, a.kendall_tau_b]) {
      expect(e.ci95![0]).toBeLessThanOrEqual(e.value!);
      expect(e.ci95![1]).toBeGreaterThanOrEqual(e.value!);
      expect(e.ci95![1]).toBeLessThanOrEqual(1);
    }
    expect(a.spearman.value!).toBeGreaterThan(0.5);
    expect(agreement(human, judge, { seed: 2, resamples: 500 })).toEqual(a);
  });

  it("undefined agreement is null, not a number", () => {
    const a = agreement([2, 2, 2], [0.1, 0.5, 0.9]);
    expect(a.spearman).toEqual({ value: null, ci95: null, n: 3 });
    expect(a.kendall_tau_b.value).toBeNull();
  });
});
