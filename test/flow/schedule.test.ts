import { describe, expect, it } from "vitest";
import { resolveMu, shiftMu, timeGrid, timeShift } from "../../src/flow/index.js";

describe("FLUX timestep shift", () => {
  it("mu is 0.5 at 256 target tokens, 1.15 at 4096, 0.63 at 1024 (512² Kontext), linear between", () => {
    expect(shiftMu(256)).toBeCloseTo(0.5, 12);
    expect(shiftMu(4096)).toBeCloseTo(1.15, 12);
    expect(shiftMu(1024)).toBeCloseTo(0.5 + (0.65 * 768) / 3840, 12);
    expect(shiftMu(1024)).toBeCloseTo(0.63, 12);
    expect(shiftMu(64)).toBeCloseTo(0.5 - (0.65 * 192) / 3840, 12); // extrapolated below 256
  });

  it("time_shift(mu, 1, t) = e^mu/(e^mu + 1/t − 1), fixes 0 and 1, is the identity at mu = 0", () => {
    expect(timeShift(1.15, 1, 5 / 6)).toBeCloseTo(Math.exp(1.15) / (Math.exp(1.15) + 0.2), 12);
    expect(timeShift(0.7, 1, 1)).toBe(1);
    expect(timeShift(0.7, 1, 0)).toBe(0);
    for (const t of [0.1, 0.37, 0.9]) expect(timeShift(0, 1, t)).toBeCloseTo(t, 12);
  });

  it("6-step grids reproduce the sigmas Flow-GRPO/Kontext train on (anchors-algorithms.md §1.5)", () => {
    const at512 = timeGrid(6, { targetTokens: 1024 });
    const at1024 = timeGrid(6, { targetTokens: 4096 });
    const golden512 = [1.0, 0.904, 0.79, 0.652, 0.484, 0.273, 0];
    const golden1024 = [1.0, 0.94, 0.863, 0.76, 0.612, 0.387, 0];
    at512.forEach((t, i) => expect(t).toBeCloseTo(golden512[i] as number, 3));
    at1024.forEach((t, i) => expect(t).toBeCloseTo(golden1024[i] as number, 3));
  });

  it("a pinned mu and 'none' shift as specified; grids run exactly from 1 to 0, decreasing", () => {
    expect(resolveMu({ mu: 0.8 })).toBe(0.8);
    expect(resolveMu("none")).toBe(0);
    expect(timeGrid(4, "none")).toEqual([1, 0.75, 0.5, 0.25, 0]);
    const g = timeGrid(20, { mu: 1.15 });
    expect(g[0]).toBe(1);
    expect(g[20]).toBe(0);
    for (let i = 0; i < 20; i++) expect(g[i + 1]!).toBeLessThan(g[i]!);
    expect(timeGrid(3, { mu: 0.8 })[1]).toBeCloseTo(timeShift(0.8, 1, 2 / 3), 12);
    expect(() => timeGrid(0, "none")).toThrow(/steps/);
  });
});
