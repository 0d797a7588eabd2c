/**
 * Reading and writing eval folders (scratch/FORMATS.md). Writing is atomic: everything goes to a temporary
 * sibling folder that is renamed into place. Reading validates everything first and fails with one line
 * (file:line, field, what is wrong).
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { checkpointHash } from "../model/index.js";
import { UserError } from "../runtime/errors.js";
import { writeDirAtomic } from "../runtime/atomic.js";
import { issueText } from "../runtime/zod-error.js";
import {
  PIXEL_METRICS, evalJsonSchema, sampleRowSchema, type EvalJson, type EvalMeta, type SampleRow, type SampleScores,
} from "./format.js";
import { fileStem, resolveInside } from "./paths.js";
import { summarizeSamples } from "./summary.js";

/** One generated sample as the eval command hands it over: its scores and its images as encoded PNG bytes. */
export interface EvalSampleInput extends SampleScores {
  id: string;
  instruction: string;
  generated_png: Uint8Array;
  reference_png: Uint8Array;
  target_png: Uint8Array | null;
}

export interface WriteEvalOptions {
  /** Replace an existing folder (atomically: the old one is removed only after the new one is in place). */
  overwrite?: boolean;
}

export interface EvalFolder {
  /** Absolute folder path. */
  dir: string;
  eval: EvalJson;
  samples: SampleRow[];
}

/** A failed judgement (NaN) is stored as null: JSON has no NaN, and null means "no value". */
function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Write an eval folder at `dir`: eval.json (metrics computed by summarizeSamples with meta.seed),
 * samples.jsonl and images/, refs/, targets/. Refuses an existing `dir` unless `overwrite`.
 */
export async function writeEvalFolder(
  dir: string,
  data: { meta: EvalMeta; samples: readonly EvalSampleInput[] },
  opts: WriteEvalOptions = {},
): Promise<EvalFolder> {
  const target = resolve(dir);
  if ((await exists(target)) && !opts.overwrite) throw new UserError(`${dir}: already exists (refusing to overwrite an eval folder)`, 2);
  const seen = new Map<string, string>();
  const rows: SampleRow[] = [];
  for (const s of data.samples) {
    const stem = fileStem(s.id);
    const clash = seen.get(stem);
    if (clash !== undefined) throw new UserError(`writeEvalFolder: duplicate sample id ${JSON.stringify(s.id)}${clash === s.id ? "" : ` (same file name as ${JSON.stringify(clash)})`}`, 1);
    seen.set(stem, s.id);
    const row: SampleRow = {
      id: s.id,
      instruction: s.instruction,
      reference_image: `refs/${stem}.png`,
      generated_image: `images/${stem}.png`,
      target_image: s.target_png === null ? null : `targets/${stem}.png`,
      judge_dp: finiteOrNull(s.judge_dp),
      judge_pf: finiteOrNull(s.judge_pf),
      gt_pose: finiteOrNull(s.gt_pose),
      gt_oks: finiteOrNull(s.gt_oks),
      gt_detail: finiteOrNull(s.gt_detail),
      copy_paste: s.copy_paste,
    };
    for (const f of ["clip_i", "dino_i", "clip_t", ...PIXEL_METRICS] as const) if (s[f] !== undefined) row[f] = finiteOrNull(s[f]);
    rows.push(row);
  }
  const { created_at, ...meta } = data.meta;
  const evalJson: EvalJson = {
    kind: "portraitrl-eval",
    version: 1,
    ...meta,
    created_at: created_at ?? new Date().toISOString(),
    metrics: summarizeSamples(rows, meta.seed),
  };
  const checked = evalJsonSchema.safeParse(evalJson);
  if (!checked.success) throw new UserError(`writeEvalFolder: eval.json: ${issueText(checked.error)}`, 2);

  await writeDirAtomic(target, async (tmp) => {
    for (const sub of ["images", "refs", "targets"]) await mkdir(join(tmp, sub), { recursive: true });
    for (const [i, s] of data.samples.entries()) {
      const row = rows[i]!;
      await writeFile(join(tmp, row.generated_image), s.generated_png);
      await writeFile(join(tmp, row.reference_image), s.reference_png);
      if (row.target_image !== null && s.target_png !== null) await writeFile(join(tmp, row.target_image), s.target_png);
    }
    await writeFile(join(tmp, "samples.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
    await writeFile(join(tmp, "eval.json"), JSON.stringify(evalJson, null, 2) + "\n");
  });
  return { dir: target, eval: evalJson, samples: rows };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: malformed JSON (${err instanceof Error ? err.message : String(err)})`, 1);
  }
}

/** Read and validate an eval folder: eval.json, every samples.jsonl line, every image path (inside, existing). */
export async function readEvalFolder(dir: string): Promise<EvalFolder> {
  const root = resolve(dir);
  const evalPath = join(dir, "eval.json");
  let text: string;
  try {
    text = await readFile(evalPath, "utf8");
  } catch {
    throw new UserError(`${evalPath}: not found (not an eval folder)`, 1);
  }
  const parsed = evalJsonSchema.safeParse(parseJson(text, evalPath));
  if (!parsed.success) throw new UserError(`${evalPath}: ${issueText(parsed.error)}`, 1);

  const samplesPath = join(dir, "samples.jsonl");
  let lines: string[];
  try {
    lines = (await readFile(samplesPath, "utf8")).split("\n");
  } catch {
    throw new UserError(`${samplesPath}: not found`, 1);
  }
  const samples: SampleRow[] = [];
  const ids = new Map<string, number>();
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const where = `${samplesPath}:${i + 1}`;
    const row = sampleRowSchema.safeParse(parseJson(line, where));
    if (!row.success) throw new UserError(`${where}: ${issueText(row.error)}`, 1);
    const first = ids.get(row.data.id);
    if (first !== undefined) throw new UserError(`${where}: id: duplicate ${JSON.stringify(row.data.id)} (first on line ${first})`, 1);
    ids.set(row.data.id, i + 1);
    for (const field of ["reference_image", "generated_image", "target_image"] as const) {
      const p = row.data[field];
      if (p === null) continue;
      const r = resolveInside(root, p);
      if ("error" in r) throw new UserError(`${where}: ${field}: ${r.error}`, 1);
      if (!(await exists(r.path))) throw new UserError(`${where}: ${field}: ${p} does not exist`, 1);
    }
    samples.push(row.data);
  }
  return { dir: root, eval: parsed.data, samples };
}

/** True when EVAL_DIR holds a finished eval of exactly this checkpoint. */
export function evalIsCurrent(evalDir: string, ckpt: string): boolean {
  const file = join(evalDir, "eval.json");
  if (!existsSync(file)) return false;
  const recorded = (JSON.parse(readFileSync(file, "utf8")) as { checkpoint_sha256?: string }).checkpoint_sha256;
  return recorded === checkpointHash(ckpt);
}
