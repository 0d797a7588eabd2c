import { describe, expect, it } from "vitest";
import { createHeldOutSyntheticJudge, createSyntheticJudge, levelScore, type Judge, type JudgeRequest } from "../../src/reward/index.js";
import { labelledSet, spearman, type LabelledEdit } from "./labelled-set.js";

const L = [0, 1, 2, 3, 4];

async function judgeAll(set: readonly LabelledEdit[], judge: Judge = createSyntheticJudge()): Promise<{ dp: number[]; pf: number[] }> {
  const run = (kind: JudgeRequest["kind"]): Promise<number[]> =>
    Promise.all(set.map(async (e) => levelScore((await judge.judge({ kind, reference: e.reference, instruction: e.instruction, generated: e.generated })).logprobs, L)));
  return { dp: await run("dp"), pf: await run("pf") };
}

function check(set: readonly LabelledEdit[], dp: number[], pf: number[]): void {
  expect(dp.every(Number.isFinite)).toBe(true);
  expect(pf.every(Number.isFinite)).toBe(true);
  expect(spearman(dp, set.map((e) => e.dp))).toBeGreaterThanOrEqual(0.8);
  expect(spearman(pf, set.map((e) => e.pf))).toBeGreaterThanOrEqual(0.8);
  expect(spearman(dp, set.map((e) => e.dpAttr))).toBeGreaterThanOrEqual(0.8);
  expect(spearman(pf, set.map((e) => e.pfAttr))).toBeGreaterThanOrEqual(0.8);
  const copies = set.map((e, i) => i).filter((i) => set[i]!.copy && !set[i]!.degraded);
  expect(copies.length).toBeGreaterThan(0);
  for (const i of copies) {
    expect(dp[i]).toBeGreaterThanOrEqual(0.6);
    expect(pf[i]).toBeLessThanOrEqual(0.1);
  }
}

describe("synthetic judge on a labelled set of edits (recognizer and parser of the benchmark)", () => {
  it("120 edits: Spearman ≥ 0.8 with the ground-truth metrics (scoreEdit) and the rendered attributes, for DP and PF; copies get high DP and low PF", async () => {
    const set = labelledSet(120, 42);
    const { dp, pf } = await judgeAll(set);
    check(set, dp, pf);
  });

  it("an exact copy of the reference: high DP, low PF, on 20 triplets", async () => {
    const set = labelledSet(20, 7).map((e) => ({ ...e, generated: e.reference, copy: true, degraded: false }));
    const { dp, pf } = await judgeAll(set);
    dp.forEach((v) => expect(v).toBeGreaterThanOrEqual(0.6));
    pf.forEach((v) => expect(v).toBeLessThanOrEqual(0.1));
  });
});

describe("the held-out synthetic judge (eval's default: degraded view, equal detail weights, λ 0.3)", () => {
  it("agrees with the ground truth as the reward judge does, on the same 120 edits, yet is another judge", async () => {
    const set = labelledSet(120, 42);
    const heldOut = await judgeAll(set, createHeldOutSyntheticJudge());
    check(set, heldOut.dp, heldOut.pf);
    const reward = await judgeAll(set);
    const differs = heldOut.dp.filter((v, i) => Math.abs(v - reward.dp[i]!) > 1e-3).length;
    expect(differs).toBeGreaterThan(set.length / 4);
  });

  it("gives an image the same verdict every time (the degradation is seeded by the image's bytes)", async () => {
    const [e] = labelledSet(1, 3);
    const judge = createHeldOutSyntheticJudge();
    const req = { kind: "dp" as const, reference: e!.reference, instruction: e!.instruction, generated: e!.generated };
    const a = await judge.judge(req);
    const b = await createHeldOutSyntheticJudge().judge(req);
    expect(a.logprobs).toEqual(b.logprobs);
    expect(judge.name).toBe("synthetic-held-out");
  });
});

describe.runIf(process.env.PORTRAITRL_SLOW === "1")("synthetic judge on 500 labelled edits (slow)", () => {
  it("Spearman ≥ 0.8 for DP and PF", async () => {
    const set = labelledSet(500, 42);
    const { dp, pf } = await judgeAll(set);
    check(set, dp, pf);
    const r = (a: number[], b: number[]): string => spearman(a, b).toFixed(3);
    process.stdout.write(`spearman vs scoreEdit: dp ${r(dp, set.map((e) => e.dp))} pf ${r(pf, set.map((e) => e.pf))}; vs rendered attributes: dp ${r(dp, set.map((e) => e.dpAttr))} pf ${r(pf, set.map((e) => e.pfAttr))}\n`);
  });
});
