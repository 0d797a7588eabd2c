import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chooseOnValidation, validationPoint } from "../../src/demo/choose.js";
import { makeEvalFolder } from "../eval/fixtures.js";

const point = (step: number, dp: number | null, pf: number | null) => ({ step, judge_dp: dp, judge_pf: pf, score: dp !== null && pf !== null ? (dp + pf) / 2 : null });

describe("the demo's stop on validation", () => {
  it("reads DP and PF of an eval folder and scores their mean", async () => {
    const dir = await makeEvalFolder(join(mkdtempSync(join(tmpdir(), "prl-choose-")), "ev"), "naspo", 5);
    const metrics = (JSON.parse(readFileSync(join(dir, "eval.json"), "utf8")) as { metrics: Record<string, { mean: number }> }).metrics;
    const p = validationPoint(40, dir);
    expect(p).toEqual({ step: 40, judge_dp: metrics["judge_dp"]!.mean, judge_pf: metrics["judge_pf"]!.mean, score: (metrics["judge_dp"]!.mean + metrics["judge_pf"]!.mean) / 2 });
  });

  it("takes the highest ½·(DP + PF), the earlier on a tie, and skips points without a score", () => {
    expect(chooseOnValidation([point(10, 0.6, 0.3), point(20, 0.5, 0.5), point(30, 0.7, 0.2)]).step).toBe(20);
    expect(chooseOnValidation([point(10, 0.6, 0.4), point(20, 0.4, 0.6)]).step).toBe(10);
    expect(chooseOnValidation([point(10, null, 0.9), point(20, 0.1, 0.1)]).step).toBe(20);
    expect(() => chooseOnValidation([point(10, null, null)])).toThrow(/none of 1 checkpoints/);
  });
});
