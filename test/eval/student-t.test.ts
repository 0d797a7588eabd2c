import { describe, expect, it } from "vitest";
import { studentTCdf, studentTQuantile, tInterval95 } from "../../src/eval/student-t.js";

describe("Student t", () => {
  it("has the closed-form CDFs for 1 and 2 degrees of freedom", () => {
    for (const t of [-3, -0.5, 0, 0.7, 2.5]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });
  it("gives the textbook 97.5% quantiles", () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764, 4);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.2281, 4);
  });
  it("builds mean ± t·sd/√k over seeds", () => {
    // values 0.80, 0.82, 0.87: mean 0.83, sd = sqrt((0.0009 + 0.0001 + 0.0016)/2) = sqrt(0.0013)
    const { mean, ci95 } = tInterval95([0.8, 0.82, 0.87]);
    const half = 4.302652729749 * Math.sqrt(0.0013) / Math.sqrt(3);
    expect(mean).toBeCloseTo(0.83, 12);
    expect(ci95[0]).toBeCloseTo(0.83 - half, 9);
    expect(ci95[1]).toBeCloseTo(0.83 + half, 9);
    expect(() => tInterval95([1])).toThrow();
  });
});
