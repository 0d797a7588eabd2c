import { describe, expect, it } from "vitest";
import type { SampleRow } from "../../src/eval/format.js";
import { pairedDifferences, pairedLines } from "../../src/eval/paired.js";
import { summarizeValues } from "../../src/eval/summary.js";

function row(id: string, dp: number | null, copy: boolean | null = null): SampleRow {
  return {
    id, instruction: "", reference_image: "r.png", generated_image: "g.png", target_image: null,
    judge_dp: dp, judge_pf: null, gt_pose: null, gt_oks: null, gt_detail: null, copy_paste: copy,
  };
}

describe("pairedDifferences", () => {
  it("matches records by id, skips records without a value in both, and bootstraps the differences", () => {
    const before = [row("a", 0.2, true), row("b", 0.5, true), row("c", 0.9, false), row("d", 0.4), row("only-before", 0.0)];
    const after = [row("c", 0.7, false), row("a", 0.5, false), row("b", 0.6, true), row("d", null), row("only-after", 1.0)];
    const d = pairedDifferences(before, after, 3);
    // a: +0.3, b: +0.1, c: −0.2 (d has no value after; the unmatched ids are not pairs)
    expect(d.judge_dp.n).toBe(3);
    expect(d.judge_dp.mean).toBeCloseTo((0.3 + 0.1 - 0.2) / 3, 12);
    expect(d.judge_dp).toEqual(summarizeValues([0.7 - 0.9, 0.5 - 0.2, 0.6 - 0.5], 3)); // in `after`'s order
    // copy-paste as 0/1: a 1 → 0, b 1 → 1, c 0 → 0
    expect(d.copy_paste_rate.n).toBe(3);
    expect(d.copy_paste_rate.mean).toBeCloseTo(-1 / 3, 12);
    expect(d.judge_pf).toEqual({ mean: null, ci95: null, n: 0 });
  });

  it("a constant shift has a zero-width interval at the shift", () => {
    const before = Array.from({ length: 20 }, (_, i) => row(`r${i}`, i / 40));
    const after = before.map((r) => row(r.id, (r.judge_dp as number) + 0.125));
    const d = pairedDifferences(before, after);
    expect(d.judge_dp.mean).toBeCloseTo(0.125, 12);
    expect(d.judge_dp.ci95![0]).toBeCloseTo(0.125, 12);
    expect(d.judge_dp.ci95![1]).toBeCloseTo(0.125, 12);
    expect(pairedLines(d)).toEqual(["judge_dp +0.1250 [+0.1250, +0.1250] (n = 20)"]);
  });

  it("formats negative differences with a minus sign and leaves out metrics without pairs", () => {
    const d = pairedDifferences([row("a", 0.5, true), row("b", 0.5, true)], [row("a", 0.25, false), row("b", 0.25, true)]);
    const lines = pairedLines(d);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^judge_dp −0\.2500 \[−0\.2500, −0\.2500\] \(n = 2\)$/);
    expect(lines[1]).toMatch(/^copy_paste_rate −0\.5000 \[−1\.0000, (−0\.0000|\+0\.0000)\] \(n = 2\)$/);
  });
});
