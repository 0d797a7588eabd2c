import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gridPoints, knobsToConfig, readGrid, selectTrials, trialCount } from "../../src/compare/sweep-grid.js";
import { bestTrial, criterionOf } from "../../src/compare/sweep-record.js";
import type { MetricsBlock } from "../../src/eval/format.js";
import { userErrorOf } from "../user-error.js";

function expectUserError(f: () => unknown, code: number, message: RegExp): void {
  const e = userErrorOf(f);
  expect(e.exitCode).toBe(code);
  expect(e.message).toMatch(message);
  expect(e.message.split("\n")).toHaveLength(1);
}

const ALGOS = ["naspo", "diffusion-nft", "flow-grpo"];
let dir: string;
const grid = async (name: string, text: string): Promise<string> => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portraitrl-grid-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sweep grid", () => {
  it("reads per algorithm knob paths and value lists, in file order", async () => {
    const file = await grid("g.yaml", "naspo:\n  optimizer.lr: [3.0e-4, 1.0e-3]\n  algo.beta: [10, 100]\nflow-grpo:\n  optimizer.lr: [1.0e-3]\n  algo.clipRange: [1.0e-4, 1.0e-3, 1.0e-2]\n  algo.sdeType: [flow]\n");
    const g = readGrid(file, ALGOS);
    expect(Object.keys(g)).toEqual(["naspo", "flow-grpo"]);
    expect(g.naspo).toEqual({ "optimizer.lr": [3e-4, 1e-3], "algo.beta": [10, 100] });
    // the last knob varies fastest
    expect(gridPoints(g.naspo!)).toEqual([
      { "optimizer.lr": 3e-4, "algo.beta": 10 }, { "optimizer.lr": 3e-4, "algo.beta": 100 },
      { "optimizer.lr": 1e-3, "algo.beta": 10 }, { "optimizer.lr": 1e-3, "algo.beta": 100 },
    ]);
    expect(gridPoints(g["flow-grpo"]!)).toHaveLength(3);
    expect(knobsToConfig({ "optimizer.lr": 1e-3, "algo.beta": 10, "algo.space": "x0", groupsEvery: 0 })).toEqual({ optimizer: { lr: 1e-3 }, algo: { beta: 10, space: "x0" }, groupsEvery: 0 });
  });

  it("every algorithm gets the same number of trials, or one line naming the file and algorithm", async () => {
    const file = await grid("uneven.yaml", "naspo:\n  optimizer.lr: [1, 2]\n  algo.beta: [1, 2]\ndiffusion-nft:\n  optimizer.lr: [1, 2, 3]\n");
    const g = readGrid(file, ALGOS);
    expectUserError(() => trialCount(file, g, undefined), 2, /uneven\.yaml: diffusion-nft has 3 grid points, naspo has 4: every algorithm gets the same number of trials/);
    expectUserError(() => trialCount(file, g, 4), 2, /uneven\.yaml: diffusion-nft has 3 grid points, fewer than the 4 trials \(--trials\)/);
    expect(trialCount(file, g, 3)).toBe(3);
    const even = await grid("even.yaml", "naspo:\n  optimizer.lr: [1, 2]\ndiffusion-nft:\n  algo.beta: [1, 2]\n");
    expect(trialCount(even, readGrid(even, ALGOS), undefined)).toBe(2);
  });

  it("refuses what is not a grid, with the file and the knob", async () => {
    const cases: [string, RegExp][] = [
      ["dspo2:\n  optimizer.lr: [1]\n", /bad\.yaml: dspo2: not an RL algorithm; valid: naspo, diffusion-nft, flow-grpo/],
      ["naspo:\n  optimizer.lr: 0.001\n", /bad\.yaml: naspo\.optimizer\.lr: expected a non-empty list/],
      ["naspo:\n  optimizer.lr: []\n", /bad\.yaml: naspo\.optimizer\.lr: expected a non-empty list/],
      ["naspo:\n  epochs: [1, 2]\n", /bad\.yaml: naspo\.epochs: not tunable \(every trial gets the same budget/],
      ["naspo:\n  groupsPerEpoch: [1, 2]\n", /naspo\.groupsPerEpoch: not tunable/],
      ["[1, 2]\n", /bad\.yaml: expected a mapping of algorithm/],
      ["naspo: [1\n", /--grid .*bad\.yaml: cannot read/],
    ];
    for (const [text, message] of cases) {
      const file = await grid("bad.yaml", text);
      expectUserError(() => readGrid(file, ALGOS), 2, message);
    }
  });

  it("the full grid when it has T points; else a seeded subset of T, the same for the same seed", () => {
    const points = gridPoints({ a: [1, 2, 3], b: [1, 2, 3] });
    expect(selectTrials(points.slice(0, 4), 4, 7)).toEqual(points.slice(0, 4));
    const s0 = selectTrials(points, 4, 0);
    expect(s0).toHaveLength(4);
    expect(new Set(s0.map((p) => JSON.stringify(p))).size).toBe(4);
    for (const p of s0) expect(points).toContainEqual(p);
    // in grid order
    expect(s0.map((p) => points.indexOf(p))).toEqual([...s0.map((p) => points.indexOf(p))].sort((x, y) => x - y));
    expect(selectTrials(points, 4, 0)).toEqual(s0);
    const others = [1, 2, 3, 4, 5].map((seed) => JSON.stringify(selectTrials(points, 4, seed)));
    expect(others.some((o) => o !== JSON.stringify(s0))).toBe(true);
  });
});

describe("sweep criterion", () => {
  const metrics = (dp: number | null, pf: number | null, mse: number | null) =>
    ({ judge_dp: { mean: dp, ci95: null, n: 1 }, judge_pf: { mean: pf, ci95: null, n: 1 }, mse: { mean: mse, ci95: null, n: 1 } }) as unknown as MetricsBlock;

  it("judge-mean is the mean of DP and PF (no value when either is missing); a column follows its direction", () => {
    const c = criterionOf("judge-mean");
    expect(c.value(metrics(0.4, 0.7, 0.2))).toBeCloseTo(0.55, 12);
    expect(c.value(metrics(0.4, null, 0.2))).toBeNull();
    expect(criterionOf("mse").higher_is_better).toBe(false);
    expect(criterionOf("mse").value(metrics(0.4, 0.7, 0.2))).toBe(0.2);
    expectUserError(() => criterionOf("judge"), 2, /--criterion "judge": expected one of judge-mean, clip_i/);
  });

  it("the best trial: highest (or lowest), the first on ties, never one without a value", () => {
    expect(bestTrial([0.5, null, 0.7, 0.7, 0.1], true)).toBe(2);
    expect(bestTrial([0.5, null, 0.7, 0.1, 0.1], false)).toBe(3);
    expect(bestTrial([null, 0.2], true)).toBe(1);
    expect(bestTrial([null, null], true)).toBeNull();
  });
});
