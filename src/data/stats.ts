/**
 * `data stats`: counts, attribute balance, how well the instructions parse back, and the ground-truth
 * scores of two trivial editors — copy-the-reference (must score high detail, low pose following:
 * the benchmark's tension) and oracle-target (must score high on both).
 */
import {
  ALL_ATTRIBUTES, ATTRIBUTE_VALUES, EDITABLE_ATTRIBUTES, type AttributeChanges,
} from "./attributes.js";
import { loadDataset, splitFile, SPLITS, type DatasetRecord, type Split } from "./dataset.js";
import { scoreEdit, type EditScores } from "./ground-truth.js";
import { readImage } from "./image-io.js";
import { parseInstruction } from "./parser.js";

export interface EditorScores {
  n: number;
  gt_pose: number;
  gt_detail: number;
  gt_oks: number;
  copy_paste_rate: number;
}

export interface SplitStats {
  records: number;
  collections: number;
  with_target: number;
  with_attributes: number;
  changes_per_record: Record<string, number>;
  changed_attribute: Record<string, number>;
  target_balance: Record<string, Record<string, number>>;
  instructions_parsed_exactly: number | null;
  editors: { copy_reference: EditorScores; oracle_target: EditorScores } | null;
}

const sameChanges = (a: AttributeChanges, b: AttributeChanges): boolean =>
  EDITABLE_ATTRIBUTES.every((k) => a[k] === b[k]);

function mean(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x));
  return ok.length === 0 ? NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;

function summarise(scores: EditScores[]): EditorScores {
  return {
    n: scores.length,
    gt_pose: round(mean(scores.map((s) => s.gtPose))),
    gt_detail: round(mean(scores.map((s) => s.gtDetail))),
    gt_oks: round(mean(scores.map((s) => s.oks))),
    copy_paste_rate: round(mean(scores.map((s) => (s.copyPaste ? 1 : 0)))),
  };
}

export async function splitStats(recs: DatasetRecord[], size: number, limit: number): Promise<SplitStats> {
  const withAttr = recs.filter((r) => r.attributes);
  const changesPer: Record<string, number> = {};
  const changed: Record<string, number> = {};
  const balance: Record<string, Record<string, number>> = {};
  for (const a of ALL_ATTRIBUTES) balance[a] = Object.fromEntries(ATTRIBUTE_VALUES[a].map((v) => [v, 0]));
  let parsed = 0;
  for (const r of withAttr) {
    const at = r.attributes;
    if (!at) continue;
    const keys = Object.keys(at.changes);
    changesPer[keys.length] = (changesPer[keys.length] ?? 0) + 1;
    for (const k of keys) changed[k] = (changed[k] ?? 0) + 1;
    for (const a of ALL_ATTRIBUTES) {
      const row = balance[a];
      if (row) row[at.target[a]] = (row[at.target[a]] ?? 0) + 1;
    }
    const p = parseInstruction(r.instruction);
    if (p !== "unknown" && sameChanges(p, at.changes)) parsed++;
  }
  let editors: SplitStats["editors"] = null;
  const scorable = withAttr.filter((r) => r.targetImage).slice(0, limit);
  if (scorable.length > 0) {
    const copy: EditScores[] = [];
    const oracle: EditScores[] = [];
    for (const r of scorable) {
      copy.push(scoreEdit(await readImage(r.referenceImage, size), r, size));
      oracle.push(scoreEdit(await readImage(r.targetImage ?? "", size), r, size));
    }
    editors = { copy_reference: summarise(copy), oracle_target: summarise(oracle) };
  }
  return {
    records: recs.length,
    collections: new Set(recs.map((r) => r.collectionId)).size,
    with_target: recs.filter((r) => r.targetImage).length,
    with_attributes: withAttr.length,
    changes_per_record: changesPer,
    changed_attribute: changed,
    target_balance: balance,
    instructions_parsed_exactly: withAttr.length ? round(parsed / withAttr.length) : null,
    editors,
  };
}

/** Stats of every split in a dataset folder (validated first). `limit` caps the records scored per split. */
export async function datasetStats(dir: string, size: number, limit = Infinity): Promise<Partial<Record<Split, SplitStats>>> {
  const out: Partial<Record<Split, SplitStats>> = {};
  for (const split of SPLITS) {
    if (!(await splitFile(dir, split))) continue;
    out[split] = await splitStats(await loadDataset(dir, split), size, limit);
  }
  return out;
}
