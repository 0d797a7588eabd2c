/**
 * Dataset folders (DESIGN §7): `train.jsonl`, `test.jsonl` and optionally `val.jsonl`, one record per line,
 *   {"id", "collection_id", "reference_image", "instruction", "target_image"?, "attributes"?}
 * with image paths relative to the folder. Edit-R1 / Flow-GRPO folders (`{train,test}_metadata.jsonl`,
 * rows {"prompt", "image", ...}) load too. Everything is validated before anything is returned: a bad
 * dataset raises a DatasetError listing one line per problem (file:line, field, what) and a count.
 */
import { access, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import sharp from "sharp";
import { UserError } from "../runtime/errors.js";
import {
  ATTRIBUTE_VALUES, EDITABLE_ATTRIBUTES, checkPortrait, type PortraitAttributes, type RecordAttributes,
} from "./attributes.js";

/** Validation is where choices are made; test is read only for reported numbers. */
export type Split = "train" | "val" | "test";
export const SPLITS: readonly Split[] = ["train", "val", "test"];

export interface DatasetRecord {
  id: string;
  collectionId: string;
  /** Absolute path. */
  referenceImage: string;
  instruction: string;
  /** Absolute path. */
  targetImage?: string;
  attributes?: RecordAttributes;
  /** Where the record came from (absolute file, 1-based line). */
  source: { file: string; line: number };
}

export interface Problem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}: ${p.field}: ${p.message}`;
}

/** A dataset that failed validation; `message` is one line per problem followed by the count. */
export class DatasetError extends UserError {
  constructor(readonly problems: Problem[]) {
    super([...problems.map(formatProblem), `${problems.length} problem${problems.length === 1 ? "" : "s"} found`].join("\n"), 1);
    this.name = "DatasetError";
  }
}

export type DatasetFormat = "portraitrl" | "edit-r1";

/** The file holding a split, and its format; null when the folder has neither. */
export async function splitFile(dir: string, split: Split): Promise<{ file: string; format: DatasetFormat } | null> {
  for (const [name, format] of [[`${split}.jsonl`, "portraitrl"], [`${split}_metadata.jsonl`, "edit-r1"]] as const) {
    const file = join(dir, name);
    if (!(await exists(file))) continue;
    if (!(await stat(file)).isFile()) throw new UserError(`${file}: is not a file (expected one JSON record per line)`, 1);
    return { file, format };
  }
  return null;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Resolve a relative image path inside `dir`; a string describing the problem when it is not allowed. */
function resolveInside(dir: string, p: string): string | { error: string } {
  if (p.length === 0) return { error: "empty path" };
  if (isAbsolute(p)) return { error: `absolute path ${JSON.stringify(p)}: image paths must be relative to the dataset folder` };
  const abs = resolve(dir, p);
  const rel = relative(resolve(dir), abs);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { error: `path ${JSON.stringify(p)} leaves the dataset folder` };
  }
  return abs;
}

function checkAttributes(x: unknown): string | null {
  if (typeof x !== "object" || x === null) return "expected an object {reference, target, changes}";
  const o = x as Record<string, unknown>;
  for (const k of ["reference", "target"] as const) {
    const bad = checkPortrait(o[k]);
    if (bad) return `${k}.${bad}`;
  }
  if (typeof o.changes !== "object" || o.changes === null) return "changes: expected an object";
  const target = o.target as PortraitAttributes;
  for (const [k, v] of Object.entries(o.changes)) {
    if (!(EDITABLE_ATTRIBUTES as readonly string[]).includes(k)) return `changes.${k}: not an editable attribute`;
    const values = ATTRIBUTE_VALUES[k as (typeof EDITABLE_ATTRIBUTES)[number]] as readonly string[];
    if (!values.includes(v as string)) return `changes.${k}: expected one of ${values.join("|")}`;
    if (target[k as keyof PortraitAttributes] !== v) return `changes.${k}: disagrees with target.${k}`;
  }
  if (o.targetDefects !== undefined && !(Array.isArray(o.targetDefects) && o.targetDefects.every((d) => typeof d === "string"))) {
    return "targetDefects: expected an array of strings";
  }
  for (const k of ["targetKeypoints", "referenceKeypoints"] as const) {
    const kp = o[k];
    if (kp === undefined) continue;
    if (!Array.isArray(kp) || kp.length !== 17 || !kp.every((t) => Array.isArray(t) && t.length === 3 && t.every(Number.isFinite))) {
      return `${k}: expected 17 [x, y, v] triples`;
    }
  }
  return null;
}

interface ParsedFile {
  records: DatasetRecord[];
  problems: Problem[];
}

/** Parse and check one split file (everything but the images' contents and cross-file rules). */
async function parseSplit(dir: string, file: string, format: DatasetFormat): Promise<ParsedFile> {
  const text = await readFile(file, "utf8");
  const lines = text.split("\n");
  const records: DatasetRecord[] = [];
  const problems: Problem[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === "") return;
    const bad = (field: string, message: string): void => void problems.push({ file, line, field, message });
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (err) {
      bad("(line)", `malformed JSON: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      bad("(line)", "expected a JSON object");
      return;
    }
    const o = row as Record<string, unknown>;
    const str = (field: string, required: boolean): string | undefined => {
      const v = o[field];
      if (v === undefined || v === null) {
        if (required) bad(field, "missing required field");
        return undefined;
      }
      if (typeof v !== "string" || v.trim() === "") {
        bad(field, `expected a non-empty string, got ${JSON.stringify(v)}`);
        return undefined;
      }
      return v;
    };
    const image = (field: string, required: boolean): string | undefined => {
      const v = str(field, required);
      if (v === undefined) return undefined;
      const abs = resolveInside(dir, v);
      if (typeof abs !== "string") {
        bad(field, abs.error);
        return undefined;
      }
      return abs;
    };
    const before = problems.length;
    let rec: Omit<DatasetRecord, "source"> | undefined;
    if (format === "portraitrl") {
      const id = str("id", true);
      const collectionId = str("collection_id", true);
      const referenceImage = image("reference_image", true);
      const instruction = str("instruction", true);
      const targetImage = image("target_image", false);
      let attributes: RecordAttributes | undefined;
      if (o.attributes !== undefined) {
        const why = checkAttributes(o.attributes);
        if (why) bad("attributes", why);
        else attributes = o.attributes as RecordAttributes;
      }
      if (id && collectionId && referenceImage && instruction) {
        rec = { id, collectionId, referenceImage, instruction };
        if (targetImage) rec.targetImage = targetImage;
        if (attributes) rec.attributes = attributes;
      }
    } else {
      const instruction = str("prompt", true);
      const imagePath = str("image", true);
      const referenceImage = image("image", false);
      const id = typeof o.id === "string" && o.id !== "" ? o.id : `${file.split(sep).pop()}:${line}`;
      if (instruction && imagePath && referenceImage) rec = { id, collectionId: imagePath, referenceImage, instruction };
    }
    if (rec && problems.length === before) records.push({ ...rec, source: { file, line } });
  });
  return { records, problems };
}

/**
 * The largest image side the loader takes. Other sizes are resized to the model's (README "Your own
 * data"); this bounds what is decoded for that: above the 1568 px side of FLUX.1 Kontext's largest
 * preferred bucket (anchors-evaluation §4.5), which the paper's editor resizes its inputs to, and
 * twice the `flux-kontext-dev` preset's 1024 px. A larger image is refused, never silently shrunk.
 */
export const MAX_IMAGE_SIDE = 2048;

async function checkImage(path: string, realDir: string): Promise<string | null> {
  if (!(await exists(path))) return "file does not exist";
  const real = await realpath(path);
  const rel = relative(realDir, real);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return `is a link to ${real}, which is outside the dataset folder`;
  try {
    const m = await sharp(path).metadata();
    if (!m.width || !m.height) return "not an image (no dimensions)";
    if (Math.max(m.width, m.height) > MAX_IMAGE_SIDE) return `image is ${m.width}x${m.height}, larger than the ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE} the loader takes (it resizes to the model's size); downscale it first`;
    return null;
  } catch {
    return "not an image sharp can decode";
  }
}

export interface ValidateOptions {
  /** Decode every image header (default true). */
  checkImages?: boolean;
}

export interface ValidatedDataset {
  splits: Partial<Record<Split, DatasetRecord[]>>;
  formats: Partial<Record<Split, DatasetFormat>>;
  problems: Problem[];
}

/**
 * Validate a whole dataset folder: JSON, required fields, image paths inside the folder, images that
 * exist and decode, ids unique across both splits, collections (identities) disjoint between splits.
 */
export async function validateDataset(dir: string, opts: ValidateOptions = {}): Promise<ValidatedDataset> {
  const out: ValidatedDataset = { splits: {}, formats: {}, problems: [] };
  const seenId = new Map<string, string>();
  const collectionsBySplit = new Map<string, { split: Split; where: string }>();
  for (const split of SPLITS) {
    const sf = await splitFile(dir, split);
    if (!sf) continue;
    const { records, problems } = await parseSplit(resolve(dir), sf.file, sf.format);
    out.problems.push(...problems);
    out.formats[split] = sf.format;
    for (const r of records) {
      const where = `${r.source.file}:${r.source.line}`;
      const prev = seenId.get(r.id);
      if (prev) out.problems.push({ ...r.source, field: "id", message: `duplicate id ${JSON.stringify(r.id)} (first at ${prev})` });
      else seenId.set(r.id, where);
      const c = collectionsBySplit.get(r.collectionId);
      if (c && c.split !== split) {
        out.problems.push({
          ...r.source, field: "collection_id",
          message: `collection ${JSON.stringify(r.collectionId)} is also in the ${c.split} split (${c.where}): splits must be identity-disjoint`,
        });
      } else if (!c) collectionsBySplit.set(r.collectionId, { split, where });
    }
    if (opts.checkImages !== false) {
      const checks: { rec: DatasetRecord; field: string; path: string }[] = [];
      for (const rec of records) {
        checks.push({ rec, field: sf.format === "portraitrl" ? "reference_image" : "image", path: rec.referenceImage });
        if (rec.targetImage) checks.push({ rec, field: "target_image", path: rec.targetImage });
      }
      const realDir = await realpath(dir);
      const cache = new Map<string, Promise<string | null>>();
      const results = await Promise.all(checks.map((c) => {
        let p = cache.get(c.path);
        if (!p) cache.set(c.path, (p = checkImage(c.path, realDir)));
        return p;
      }));
      results.forEach((why, i) => {
        const c = checks[i];
        if (why && c) out.problems.push({ ...c.rec.source, field: c.field, message: `${relative(dir, c.path)}: ${why}` });
      });
    }
    out.splits[split] = records;
  }
  out.problems.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return out;
}

/**
 * Load one split for training or evaluation. The whole folder is validated first; any problem raises a
 * DatasetError (exit 1) listing them all, before any work starts.
 */
export async function loadDataset(dir: string, split: Split): Promise<DatasetRecord[]> {
  if (!(await exists(dir))) throw new UserError(`${dir}: dataset folder does not exist`, 1);
  const v = await validateDataset(dir);
  if (v.problems.length > 0) throw new DatasetError(v.problems);
  const recs = v.splits[split];
  if (!recs) throw new UserError(`${dir}: no ${split}.jsonl or ${split}_metadata.jsonl`, 1);
  if (recs.length === 0) throw new UserError(`${dir}: the ${split} split has no records`, 1);
  return recs;
}

/** The JSONL line of a record (paths made relative to `dir`; keys in the DESIGN §7 order). */
export function recordToJson(dir: string, r: DatasetRecord): string {
  const rel = (p: string): string => relative(dir, p).split(sep).join("/");
  const o: Record<string, unknown> = {
    id: r.id,
    collection_id: r.collectionId,
    reference_image: rel(r.referenceImage),
    instruction: r.instruction,
  };
  if (r.targetImage) o.target_image = rel(r.targetImage);
  if (r.attributes) o.attributes = r.attributes;
  return JSON.stringify(o);
}
