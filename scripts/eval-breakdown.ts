/**
 * Where an editor fails, by kind of edit (issue 25): an eval folder's per-record scores grouped by the
 * record's requested changes (pose only, a camera change, each attribute, the number of changes) and by
 * whether its instruction uses a held-out paraphrase or frame, as a markdown table of means (Judge-PF,
 * Judge-DP, MSE, SSIM, Rec-pose) and the copy-paste rate. A NaN judgement (null) is left out of its mean.
 *
 *   npx tsx scripts/eval-breakdown.ts EVAL_DIR DATA_DIR SPLIT
 */
import { join } from "node:path";
import { loadDataset, type Split } from "../src/data/index.js";
import { BOTH_ARMS, CLAUSES, FRAMES, FRAMES_HELD_OUT_FROM, PRONOUNS } from "../src/data/instructions.js";
import { readEvalFolder } from "../src/eval/folder.js";
import type { SampleRow } from "../src/eval/format.js";

const [evalDir, dataDir, split] = process.argv.slice(2) as [string, string, Split];
if (!evalDir || !dataDir || !split) {
  process.stderr.write("usage: npx tsx scripts/eval-breakdown.ts EVAL_DIR DATA_DIR SPLIT\n");
  process.exit(2);
}
const changes = new Map((await loadDataset(dataDir, split)).map((r) => [r.id, Object.keys(r.attributes?.changes ?? {})]));
const samples = (await readEvalFolder(join(evalDir))).samples;

const heldPhrases = [...Object.values(CLAUSES), BOTH_ARMS].flatMap((table) =>
  Object.values(table).flatMap((ps) => ps.phrases.slice(ps.heldOutFrom).flatMap((p) => PRONOUNS.map(([a, o]) => p.replaceAll("{p}", a).replaceAll("{o}", o).toLowerCase()))),
);
const heldFrames = FRAMES.slice(FRAMES_HELD_OUT_FROM).map((f) => f.split("{c}").map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0));
const heldOut = (instruction: string): boolean => {
  const l = instruction.toLowerCase();
  return heldPhrases.some((p) => l.includes(p)) || heldFrames.some((parts) => parts.every((p) => l.includes(p)));
};

const groups = new Map<string, SampleRow[]>();
const add = (k: string, s: SampleRow): void => void groups.set(k, [...(groups.get(k) ?? []), s]);
for (const s of samples) {
  const ch = changes.get(s.id) ?? [];
  const camera = ch.includes("shot") || ch.includes("position");
  add("all", s);
  add(heldOut(s.instruction) ? "template: held-out" : "template: train", s);
  add(camera ? "a camera change" : "pose only", s);
  add(`${ch.length} changes`, s);
  for (const a of ch) add(`changes ${a}`, s);
}
const mean = (xs: SampleRow[], k: "judge_pf" | "judge_dp" | "mse" | "ssim" | "gt_pose"): string => {
  const v = xs.map((s) => s[k]).filter((x): x is number => typeof x === "number");
  return (v.reduce((a, b) => a + b, 0) / v.length).toFixed(k === "mse" ? 4 : 3);
};
console.log("| group | n | Judge-PF | Judge-DP | MSE | SSIM | Rec-pose | copy-paste |\n|---|---|---|---|---|---|---|---|");
for (const [k, xs] of [...groups].sort(([a], [b]) => (a === "all" ? -1 : b === "all" ? 1 : a.localeCompare(b)))) {
  console.log(`| ${k} | ${xs.length} | ${mean(xs, "judge_pf")} | ${mean(xs, "judge_dp")} | ${mean(xs, "mse")} | ${mean(xs, "ssim")} | ${mean(xs, "gt_pose")} | ${(xs.filter((s) => s.copy_paste).length / xs.length).toFixed(2)} |`);
}
