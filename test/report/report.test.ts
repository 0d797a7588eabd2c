import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectResults } from "../../src/compare/results.js";
import { formatPairedCell, type PairedSeedTable } from "../../src/eval/paired-seeds.js";
import { buildReport, detectKind, writeReport } from "../../src/report/build.js";
import { curveChart, lineChart, writeChartPng } from "../../src/report/chart.js";
import { validationPoints } from "../../src/report/sections/curves.js";
import sharp from "sharp";
import { UserError } from "../../src/runtime/errors.js";
import { makeCompareFolder, makeEvalFolder, makeRunFolder } from "../eval/fixtures.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prl-report-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Nothing in the page may reach outside it: every src is a data URI, no script, no external URL. */
function expectSelfContained(html: string): void {
  const srcs = [...html.matchAll(/\ssrc="([^"]*)"/g)].map((m) => m[1]!);
  for (const s of srcs) expect(s.startsWith("data:image/")).toBe(true);
  expect(html).not.toMatch(/<script|<link|@import|url\(|https?:\/\//i);
  const hrefs = [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]!);
  for (const h of hrefs) expect(h.startsWith("#")).toBe(true);
}

const sectionIds = (html: string) => [...html.matchAll(/<section id="([^"]+)"/g)].map((m) => m[1]);
const count = (html: string, re: RegExp) => [...html.matchAll(re)].length;

/** The `d` of every line mark's path, in drawing order (vega's SVG renderer). */
const linePaths = (svg: string): string[] => [...svg.matchAll(/<g class="mark-line role-mark[^"]*"[^>]*>(.*?)<\/g>/g)].flatMap((m) => [...m[1]!.matchAll(/ d="([^"]*)"/g)].map((d) => d[1]!));

describe("charts (vega-lite)", () => {
  it("a series with a missing value is drawn with a gap, on scales computed by hand", async () => {
    // x 0..4 → 0..360 px, y 0..2 → 200..0 px (height 200): (0,1) (1,2) | gap | (3,1) (4,0)
    const svg = await lineChart([{ name: "a<b", points: [[0, 1], [1, 2], [2, null], [3, 1], [4, 0]] }, { name: "c", points: [[0, 0.5]] }], { title: "T", xLabel: "epoch" });
    expect(linePaths(svg)[0]).toBe("M0,100L90,0M270,100L360,200");
    expect(svg).toContain("a&lt;b");
    expect(await lineChart([{ name: "x", points: [[0, null]] }], { title: "T", xLabel: "e" })).toContain("no data");
  });
  it("curves: a thin line per run and a bold line through the mean (x, y) of each point order", async () => {
    const p = (group: string, run: string, order: number, x: number, y: number) => ({ group, run, order, x, y });
    // a's two runs reach their second point at different x (wall time): 10 and 20 s
    const svg = await curveChart([p("a", "s0", 0, 0, 1), p("a", "s0", 1, 10, 2), p("a", "s1", 0, 0, 3), p("a", "s1", 1, 20, 4), p("b", "s0", 0, 0, 1), p("b", "s0", 1, 20, 1)], { title: "C", xLabel: "s" });
    // x 0..20 → 0..360 px, y 1..4 → 200..0 px: runs (0,1)→(10,2), (0,3)→(20,4), (0,1)→(20,1); means a (0,2)→(15,3), b (0,1)→(20,1)
    expect(linePaths(svg)).toEqual(["M0,200L180,133.333", "M0,66.667L360,0", "M0,200L360,200", "M0,133.333L270,66.667", "M0,200L360,200"]);
  });
  it("validation points: x is the epochs of the point, or the rollout + judge + update seconds up to it (validation not counted)", () => {
    const line = (epoch: number, rollout: number, judge: number, update: number, val?: { epochs: number; dp: number | null }) => ({
      epoch, seconds: { rollout, judge, update }, ...(val ? { val: { epochs: val.epochs, n: 4, seconds: 99, means: { judge_dp: val.dp } } } : {}),
    });
    const runs = [
      { group: "naspo", run: "s0", lines: [line(0, 1, 0, 2), line(1, 1, 1, 1, { epochs: 2, dp: 0.5 }), line(2, 2, 0, 0), line(3, 0.5, 0, 0.5, { epochs: 4, dp: null })] },
      { group: "flow-grpo", run: "s1", lines: [line(0, 4, 0, 4, { epochs: 1, dp: 0.25 })] },
    ];
    const { byEpoch, bySeconds } = validationPoints(runs, "judge_dp");
    expect(byEpoch).toEqual([
      { group: "naspo", run: "s0", order: 1, x: 2, y: 0.5 },
      { group: "naspo", run: "s0", order: 2, x: 4, y: null },
      { group: "flow-grpo", run: "s1", order: 1, x: 1, y: 0.25 },
    ]);
    expect(bySeconds.map((p) => p.x)).toEqual([3 + 3, 3 + 3 + 2 + 1, 8]);
    expect(validationPoints(runs, "ssim").byEpoch.map((p) => p.y)).toEqual([null, null, null]);
  });
  it("a chart as a PNG file at twice its size", async () => {
    const svg = await lineChart([{ name: "a", points: [[0, 1], [1, 2]] }], { title: "T", xLabel: "epoch" });
    const w = Number(/width="(\d+)"/.exec(svg)![1]);
    const file = join(root, "chart.png");
    await writeChartPng(svg, file);
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBe(2 * w);
  });
});

describe("report", () => {
  it("for a run folder: curves, per-group grids of first/middle/last epochs, config", async () => {
    const run = await makeRunFolder(join(root, "run"), { epochs: 7, groups: 2, g: 4, groupEpochs: [0, 2, 4, 6] });
    expect(await detectKind(run)).toBe("run");
    const out = await writeReport(run);
    expect(out).toBe(join(run, "report.html"));
    const html = await readFile(out, "utf8");
    expectSelfContained(html);
    expect(sectionIds(html)).toEqual(["curves", "groups", "config"]);
    expect(html).toContain("Reward per epoch (mean)");
    expect(count(html, /<svg /g)).toBeGreaterThanOrEqual(7);
    expect(html.match(/<h3>Epoch (\d+)<\/h3>/g)).toEqual(["<h3>Epoch 0</h3>", "<h3>Epoch 2</h3>", "<h3>Epoch 6</h3>"]);
    expect(count(html, /<img /g)).toBe(3 * 2 * (1 + 4));
    expect(html).toContain("DP 0.55 · PF 0.20");
    expect(html).toContain("Adv 0.80");
    expect((await readdir(run)).filter((n) => n.includes(".tmp-"))).toEqual([]);
  });

  it("for an eval folder, with --before: the same ids side by side", async () => {
    const after = await makeEvalFolder(join(root, "ev-naspo"), "naspo", 5);
    const before = await makeEvalFolder(join(root, "ev-sft"), "sft", 4);
    const { kind, html } = await buildReport(after, { before, maxSamples: 3 });
    expect(kind).toBe("eval");
    expectSelfContained(html);
    expect(sectionIds(html)).toEqual(["table", "samples", "provenance"]);
    expect(html).toContain("Before / after on the same test records");
    expect(html.match(/<code>(rec-\d+)<\/code>/g)).toEqual(["<code>rec-000</code>", "<code>rec-001</code>", "<code>rec-002</code>"]);
    expect(count(html, /<img /g)).toBe(3 * 4);
    expect(html).toContain("before: sft");
    expect(html).toContain("after: naspo");
    expect(html).toContain("<tr><td class=\"lbl\">before: sft</td><td class=\"lbl\">SFT</td>");
    expect(html).toContain("<tr><td class=\"lbl\">after: naspo</td><td class=\"lbl\">RL</td>");
    // Two evals of the same method (e.g. two checkpoints) stay two rows, not two "seeds" of one.
    const again = await makeEvalFolder(join(root, "ev-naspo-2"), "naspo", 5, 3);
    const same = (await buildReport(again, { before: after })).html;
    expect(count(same, /<tr><td class="lbl">(before|after): naspo<\/td>/g)).toBe(2);
    const plain = (await buildReport(after)).html;
    expect(plain).toContain("<tr><td class=\"lbl\">+PortraitRL (NaSPO)</td>");
    expect(plain).toContain("Samples (reference | target | generated)");
    // The demo's three columns: before, after and a third eval beside them, after reference and target.
    const beside = await makeEvalFolder(join(root, "ev-third"), "flow-grpo", 5, 1);
    const three = (await buildReport(after, { before, beside: [beside], maxSamples: 2 })).html;
    expect(count(three, /<img /g)).toBe(2 * 5);
    const captions = [...three.slice(three.indexOf('id="samples"')).matchAll(/<div class="cap">([^<]*)<\/div>/g)].map((m) => m[1]).slice(0, 5);
    expect(captions).toEqual(["reference", "target", "before: sft", "after: naspo", "flow-grpo"]);
    expect(three).toContain("<tr><td class=\"lbl\">flow-grpo</td>");
  });

  it("for a compare folder: tables 1 and 3, overlaid curves, before/after, grids", async () => {
    const dir = await makeCompareFolder(join(root, "cmp"), ["sft", "flow-grpo", "naspo"], [0, 1], { skip: ["flow-grpo/seed1"], n: 3, rewards: ["ours"] });
    const html = await readFile(await writeReport(dir, { maxSamples: 2 }), "utf8");
    expectSelfContained(html);
    expect(sectionIds(html)).toEqual(["tables", "curves", "samples", "groups"]);
    expect(html).toContain("Table 1. Quantitative comparison");
    expect(html).toContain("Table 3. Ablation on reward settings");
    expect(html).toContain("Not finished yet: flow-grpo/seed1.");
    expect(html).toContain("Before (sft) / after on the same test records");
    expect(html).toContain('class="marks chart"');
    // One legend entry per method (its seeds are thin lines, their mean bold), the reward and the validation curves.
    expect(html).toMatch(/>naspo<\/text>/);
    expect(html).not.toMatch(/>naspo s1<\/text>/);
    for (const title of ["Reward S per epoch", "Validation judge DP (10 records)", "Validation SSIM (10 records)"]) expect(html).toContain(`>${title}</text>`);
    expect(count(html, />training seconds \(rollout \+ judge \+ update\)<\/text>/g)).toBe(4);
    expect(count(html, /<h3>(flow-grpo|naspo) — epoch 4<\/h3>/g)).toBe(2);
    // the differences paired by seed, the same cells as the compare's results.json
    const paired = (await collectResults(dir)).json.paired as { table1: PairedSeedTable[] };
    expect(paired.table1.map((t) => t.baseline)).toEqual(["sft", "naspo"]);
    expect(html).toContain("Paired differences (Table 1): row − +SFT");
    expect(html).toContain("Paired differences (Table 1): row − +PortraitRL (NaSPO)");
    expect(html).toContain("Paired differences (Table 3): row − - (SFT)");
    const naspoVsSft = paired.table1[0]!.rows.find((r) => r.method === "naspo")!.cells["judge_dp"]!;
    expect(naspoVsSft.n_seeds).toBe(2);
    expect(html).toContain(formatPairedCell(naspoVsSft));
  });

  it("bad input: one clear line", async () => {
    const err = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as UserError);
    const e1 = await err(buildReport(join(root, "missing")));
    expect(e1).toBeInstanceOf(UserError);
    expect(e1!.exitCode).toBe(2);
    const empty = join(root, "empty");
    await makeRunFolder(empty, { epochs: 1 });
    await rm(join(empty, "config.json"));
    await rm(join(empty, "metrics.jsonl"));
    await rm(join(empty, "groups"), { recursive: true });
    expect((await err(buildReport(empty)))!.message).toMatch(/not a run, compare or eval folder/);

    const run = await makeRunFolder(join(root, "badrun"), { epochs: 3 });
    const lines = (await readFile(join(run, "metrics.jsonl"), "utf8")).split("\n");
    lines[1] = lines[1]!.replace('"loss":', '"loss":"x","_":');
    await writeFile(join(run, "metrics.jsonl"), lines.join("\n"));
    const e3 = await err(buildReport(run));
    expect(e3!.message).toMatch(/metrics\.jsonl:2: loss: /);
    expect(e3!.exitCode).toBe(1);

    const run2 = await makeRunFolder(join(root, "badgroups"), { epochs: 2, groupEpochs: [1] });
    const g = (await readFile(join(run2, "groups/epoch-1.jsonl"), "utf8")).replace("groups/img/e1-g1-2.png", "../../../etc/passwd");
    await writeFile(join(run2, "groups/epoch-1.jsonl"), g);
    expect((await err(buildReport(run2)))!.message).toMatch(/epoch-1\.jsonl:2: generations\.2\.image: path "\.\.\/\.\.\/\.\.\/etc\/passwd" leaves the folder/);

    const ev = await makeEvalFolder(join(root, "ev-a"), "sft", 2);
    const other = await makeEvalFolder(join(root, "ev-b"), "naspo", 2);
    const j = JSON.parse(await readFile(join(other, "eval.json"), "utf8"));
    j.split = "train";
    await writeFile(join(other, "eval.json"), JSON.stringify(j));
    const e5 = await err(buildReport(ev, { before: other }));
    expect(e5!.message).toMatch(/split "train" differs from "test"/);
    expect(e5!.exitCode).toBe(2);
    expect((await err(buildReport(run, { before: ev })))!.message).toMatch(/--before applies to an eval folder/);
  });
});
