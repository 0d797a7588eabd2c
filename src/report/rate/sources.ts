/**
 * The samples a rating study draws from: eval folders, or compare folders (one eval folder per method,
 * its lowest seed), read and validated through the eval folder reader (scratch/FORMATS.md).
 */
import { createHash } from "node:crypto";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep, isAbsolute } from "node:path";
import sharp from "sharp";
import { z } from "zod";
import { readEvalFolder } from "../../eval/folder.js";
import { UserError } from "../../runtime/errors.js";
import { issueText } from "../../runtime/zod-error.js";

/** One sample of one method, with absolute image paths. */
export interface SourceSample {
  sample_id: string;
  instruction: string;
  reference_image: string;
  generated_image: string;
  judge_dp: number | null;
  judge_pf: number | null;
}

/** One method's eval folder. */
export interface SampleSource {
  /** Absolute eval folder path. */
  dir: string;
  method: string;
  /** sha256 of its samples.jsonl, so that a prepared set notices when the samples changed. */
  samples_sha256: string;
  samples: SourceSample[];
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** True when the real path of `file` (symlinks followed) lies inside the real path of `dir`. */
export async function realInside(dir: string, file: string): Promise<boolean> {
  try {
    const root = await realpath(dir);
    const full = await realpath(file);
    const rel = relative(root, full);
    return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
  } catch {
    return false;
  }
}

async function loadEvalSource(dir: string): Promise<SampleSource> {
  const folder = await readEvalFolder(dir);
  const samplesPath = join(dir, "samples.jsonl");
  if (folder.samples.length === 0) throw new UserError(`${samplesPath}: no samples (nothing to rate)`, 1);
  const text = await readFile(samplesPath);
  const samples: SourceSample[] = [];
  for (const row of folder.samples) {
    const s: SourceSample = {
      sample_id: row.id,
      instruction: row.instruction,
      reference_image: resolve(folder.dir, row.reference_image),
      generated_image: resolve(folder.dir, row.generated_image),
      judge_dp: row.judge_dp,
      judge_pf: row.judge_pf,
    };
    for (const field of ["reference_image", "generated_image"] as const) {
      const where = `${samplesPath}: sample ${JSON.stringify(row.id)}: ${field}`;
      if (!(await realInside(folder.dir, s[field]))) throw new UserError(`${where}: ${row[field]} is not a file inside the folder (symlink?)`, 1);
      try {
        const meta = await sharp(s[field]).metadata();
        if (!meta.width || !meta.height) throw new Error("no size");
      } catch (err) {
        throw new UserError(`${where}: ${row[field]} is not a readable image (${err instanceof Error ? err.message : String(err)})`, 1);
      }
    }
    samples.push(s);
  }
  return {
    dir: folder.dir,
    method: folder.eval.method,
    samples_sha256: createHash("sha256").update(text).digest("hex"),
    samples,
  };
}

const compareJsonSchema = z.looseObject({
  kind: z.literal("portraitrl-compare"),
  version: z.literal(1),
  methods: z.array(z.string().min(1)).min(1),
});

/** `<compare>/<method>/seed<k>/eval` for the lowest k of each method in compare.json. */
async function compareEvalDirs(dir: string): Promise<string[]> {
  const where = join(dir, "compare.json");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(where, "utf8"));
  } catch (err) {
    throw new UserError(`${where}: malformed JSON (${err instanceof Error ? err.message : String(err)})`, 1);
  }
  const parsed = compareJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new UserError(`${where}: ${issueText(parsed.error)}`, 1);
  }
  const out: string[] = [];
  for (const method of parsed.data.methods) {
    const entries = await readdir(join(dir, method)).catch(() => [] as string[]);
    const seeds = entries
      .map((e) => /^seed(\d+)$/.exec(e))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const found: string[] = [];
    for (const k of seeds) {
      const evalDir = join(dir, method, `seed${k}`, "eval");
      if (await isFile(join(evalDir, "eval.json"))) found.push(evalDir);
    }
    if (found.length === 0) throw new UserError(`${dir}: method ${JSON.stringify(method)} has no ${method}/seed<k>/eval/eval.json`, 1);
    out.push(found[0]!);
  }
  return out;
}

/**
 * Load every method's samples from eval and compare folders. A method label may appear only once
 * (two folders both labelled "naspo" would be indistinguishable in the summary).
 */
export async function loadSampleSources(dirs: readonly string[]): Promise<SampleSource[]> {
  if (dirs.length === 0) throw new UserError("rate: --samples needs at least one eval or compare folder", 2);
  const evalDirs: string[] = [];
  for (const d of dirs) {
    if (await isFile(join(d, "eval.json"))) evalDirs.push(d);
    else if (await isFile(join(d, "compare.json"))) evalDirs.push(...(await compareEvalDirs(d)));
    else throw new UserError(`${d}: neither an eval folder (eval.json) nor a compare folder (compare.json)`, 1);
  }
  const sources: SampleSource[] = [];
  for (const d of evalDirs) {
    const src = await loadEvalSource(d);
    const clash = sources.find((s) => s.method === src.method);
    if (clash) throw new UserError(`${d}: method ${JSON.stringify(src.method)} is also the label of ${clash.dir}; each method may be rated once`, 1);
    sources.push(src);
  }
  return sources;
}
