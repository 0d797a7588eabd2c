import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { meanEstimate } from "../../src/eval/bootstrap.js";
import type { RateSet } from "../../src/report/rate/set.js";
import type { Score } from "../../src/report/rate/store.js";
import { formatSummary, loadAllRatings, summarize, type RaterRatings } from "../../src/report/rate/summary.js";
import { tempDir } from "./fixtures.js";

const ID = { A1: "a1a1a1a1a1a1a1a1", A2: "a2a2a2a2a2a2a2a2", B1: "b1b1b1b1b1b1b1b1", B2: "b2b2b2b2b2b2b2b2" };
const judge = { A1: [0.9, 0.4], A2: [0.7, 0.2], B1: [0.95, 0.8], B2: [0.5, 0.9] } as const;

function makeSet(): RateSet {
  const item = (key: keyof typeof ID, method: string, source: number) => ({
    id: ID[key],
    method,
    source,
    sample_id: key.slice(1),
    instruction: "raise the left arm",
    reference_image: `/x/${key}-ref.png`,
    generated_image: `/x/${key}.png`,
    judge_dp: judge[key][0],
    judge_pf: judge[key][1],
  });
  return {
    kind: "portraitrl-rate-set",
    version: 1,
    seed: 0,
    limit: null,
    created_at: "t",
    versions: { portraitrl: "0.1.0", node: "v20" },
    sources: [
      { dir: "/x/a", method: "A", samples_sha256: "0" },
      { dir: "/x/b", method: "B", samples_sha256: "1" },
    ],
    items: [item("A1", "A", 0), item("A2", "A", 0), item("B1", "B", 1), item("B2", "B", 1)],
  };
}

const ratings = (entries: [keyof typeof ID, number, number][]): Map<string, Score> => new Map(entries.map(([k, dp, pf]) => [ID[k], { dp, pf }]));
const alice: RaterRatings = { name: "alice", problems: [], ratings: ratings([["A1", 4, 2], ["A2", 3, 1], ["B1", 4, 4], ["B2", 2, 3]]) };
const bob: RaterRatings = { name: "bob", problems: [], ratings: ratings([["A1", 3, 2], ["B1", 4, 3], ["A2", 1, 0]]) };

describe("rate summary (hand-computed)", () => {
  const s = summarize(makeSet(), [alice, bob], { resamples: 500, seed: 0 });

  it("Human-DP / Human-PF: every rating's score/4, pooled per method", () => {
    const [a, b] = s.methods;
    expect(a).toMatchObject({ method: "A", n_samples: 2, n_ratings: 4 });
    expect(a!.human_dp.value).toBeCloseTo(11 / 16, 12);
    expect(a!.human_pf.value).toBeCloseTo(5 / 16, 12);
    expect(b).toMatchObject({ method: "B", n_samples: 2, n_ratings: 3 });
    expect(b!.human_dp.value).toBeCloseTo(10 / 12, 12);
    expect(b!.human_pf.value).toBeCloseTo(10 / 12, 12);
    expect(a!.judge_dp.value).toBeCloseTo(0.8, 12);
    expect(a!.judge_pf.value).toBeCloseTo(0.3, 12);
    expect(b!.judge_pf.value).toBeCloseTo(0.85, 12);
    for (const e of [a!.human_dp, a!.human_pf, b!.human_dp, b!.human_pf]) {
      expect(e.ci95![0]).toBeLessThanOrEqual(e.value!);
      expect(e.ci95![1]).toBeGreaterThanOrEqual(e.value!);
      expect(e.ci95![0]).toBeGreaterThanOrEqual(0);
      expect(e.ci95![1]).toBeLessThanOrEqual(1);
    }
  });

  it("human vs judge, per sample (mean over raters)", () => {
    // DP human [.875, .5, 1, .5] vs judge [.9, .7, .95, .5]: rho = 4.5/sqrt(4.5*5), tau-b = 5/sqrt(5*6)
    expect(s.human_vs_judge.dp.n).toBe(4);
    expect(s.human_vs_judge.dp.spearman.value).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
    expect(s.human_vs_judge.dp.kendall_tau_b.value).toBeCloseTo(5 / Math.sqrt(30), 12);
    // PF human [.5, .125, .875, .75] vs judge [.4, .2, .8, .9]: one swapped pair: rho = 0.8, tau-b = 4/6
    expect(s.human_vs_judge.pf.spearman.value).toBeCloseTo(0.8, 12);
    expect(s.human_vs_judge.pf.kendall_tau_b.value).toBeCloseTo(4 / 6, 12);
  });

  it("between raters: pairwise over the samples both rated", () => {
    expect(s.inter_rater.pairs).toHaveLength(1);
    const p = s.inter_rater.pairs[0]!;
    expect([p.a, p.b, p.dp.n]).toEqual(["alice", "bob", 3]);
    // DP alice [4,3,4] vs bob [3,1,4]: rho = 1.5/sqrt(1.5*2), tau-b = 2/sqrt(2*3)
    expect(p.dp.spearman.value).toBeCloseTo(1.5 / Math.sqrt(3), 12);
    expect(p.dp.kendall_tau_b.value).toBeCloseTo(2 / Math.sqrt(6), 12);
    expect(p.pf.spearman.value).toBeCloseTo(1, 12);
    expect(s.inter_rater.mean.dp.spearman).toBeCloseTo(1.5 / Math.sqrt(3), 12);
    expect(s.inter_rater.description).toMatch(/Spearman rho and Kendall tau-b/);
    expect(s.raters).toEqual([
      { name: "alice", rated: 4, total: 4, skipped_lines: [] },
      { name: "bob", rated: 3, total: 4, skipped_lines: [] },
    ]);
  });

  it("with one rating per sample the interval is the plain bootstrap of the mean", () => {
    const one = summarize(makeSet(), [alice], { resamples: 500, seed: 4 });
    const a = one.methods[0]!;
    expect(a.human_dp).toEqual(meanEstimate([4 / 4, 3 / 4], { resamples: 500, seed: 4 }));
    expect(one.inter_rater.pairs).toEqual([]);
  });

  it("prints Table 2's layout with the best method marked", () => {
    const text = formatSummary(s);
    const lines = text.split("\n");
    expect(lines[1]).toMatch(/^Method\s+Human-DP\s+Human-PF\s+Judge-DP\s+Judge-PF\s+Samples\s+Ratings$/);
    expect(lines[2]).toMatch(/^A\s+0\.6875 \[[0-9.]+, [0-9.]+\]\s+0\.3125 \[/);
    expect(lines[3]).toMatch(/^B\s+0\.8333 \[[0-9.]+, [0-9.]+\] \*\s+0\.8333 \[[0-9.]+, [0-9.]+\] \*/);
    expect(text).toMatch(/DP\s+4\s+0\.9487 \[/);
    expect(text).toMatch(/alice vs bob\s+DP\s+3\s+0\.8660/);
    expect(text).toContain("Raters: alice 4/4, bob 3/4");
  });

  it("reads every <rater>.jsonl of a folder, skipping (and listing) corrupt lines", async () => {
    const dir = await tempDir();
    const line = (item: string, dp: number, pf: number, rater: string) =>
      JSON.stringify({ v: 1, type: "rating", rater, item, dp, pf, at: "t", session: "s" });
    writeFileSync(join(dir, "alice.jsonl"), `${line(ID.A1, 4, 2, "alice")}\n{oops\n${line(ID.B1, 1, 1, "alice")}\n`);
    writeFileSync(join(dir, "bob.jsonl"), `${line(ID.A1, 3, 2, "bob")}\n`);
    writeFileSync(join(dir, "set.json"), "{}");
    writeFileSync(join(dir, "summary.json"), "{}");
    const all = loadAllRatings(dir, makeSet());
    expect(all.map((r) => r.name)).toEqual(["alice", "bob"]);
    expect(all[0]!.problems).toEqual([{ line: 2, reason: expect.stringMatching(/not JSON/) as unknown as string }]);
    expect(all[0]!.ratings.size).toBe(2);
    const sum = summarize(makeSet(), all, { resamples: 50, seed: 0 });
    expect(sum.raters[0]!.skipped_lines).toHaveLength(1);
    expect(formatSummary(sum)).toContain("alice 2/4 (1 corrupt line(s) skipped)");
  });
});
