/**
 * Reading a training run folder for the report (scratch/FORMATS.md): metrics.jsonl (RL lines have
 * `epoch`, SFT lines have `step`) and groups/epoch-<k>.jsonl. Every line is checked; a bad one is
 * reported as file:line, field, what is wrong.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../runtime/errors.js";
import { issueText } from "../runtime/zod-error.js";
import { resolveInside } from "../eval/paths.js";

const n = z.number().nullable().optional();

export const rlMetricsLineSchema = z.looseObject({
  epoch: z.number().int().nonnegative(),
  step: z.number().int().nonnegative().optional(),
  time_s: n,
  reward: z.looseObject({ dp_mean: n, pf_mean: n, s_mean: n }).optional(),
  dp_std_in_group: n,
  pf_std_in_group: n,
  nan_count: n,
  old_deviate: n,
  kl: n,
  delta_quantiles: z.array(z.number()).nullable().optional(),
  clip_fraction: n,
  loss: n,
  grad_norm: n,
  seconds: z.looseObject({ rollout: n, judge: n, update: n }).optional(),
  val: z.looseObject({ epochs: z.number().int().nonnegative(), n: z.number().int().nonnegative(), seconds: z.number(), means: z.record(z.string(), z.number().nullable()) }).optional(),
});
export type RlMetricsLine = z.infer<typeof rlMetricsLineSchema>;

export const sftMetricsLineSchema = z.looseObject({
  step: z.number().int().nonnegative(),
  loss: n,
  lr: n,
  grad_norm: n,
  time_s: n,
});
export type SftMetricsLine = z.infer<typeof sftMetricsLineSchema>;

export type RunMetrics = { kind: "rl"; lines: RlMetricsLine[] } | { kind: "sft"; lines: SftMetricsLine[] } | { kind: "empty"; lines: [] };

export const groupLineSchema = z.looseObject({
  group_key: z.string(),
  instruction: z.string(),
  reference_image: z.string().min(1),
  generations: z.array(z.looseObject({ image: z.string().min(1), dp: n, pf: n, adv: n })).min(1),
});
export type GroupLine = z.infer<typeof groupLineSchema>;

async function readLines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, "utf8")).split("\n");
  } catch {
    throw new UserError(`${path}: cannot be read`, 1);
  }
}

function parseLine(line: string, where: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new UserError(`${where}: malformed JSON (${err instanceof Error ? err.message : String(err)})`, 1);
  }
}

/** metrics.jsonl of a run; RL or SFT is decided by the first line (`epoch` present → RL). */
export async function readRunMetrics(runDir: string): Promise<RunMetrics> {
  const path = join(runDir, "metrics.jsonl");
  const lines = await readLines(path);
  let kind: "rl" | "sft" | null = null;
  const rl: RlMetricsLine[] = [];
  const sft: SftMetricsLine[] = [];
  for (const [i, text] of lines.entries()) {
    if (text.trim() === "") continue;
    const where = `${path}:${i + 1}`;
    const raw = parseLine(text, where);
    kind ??= typeof raw === "object" && raw !== null && "epoch" in raw ? "rl" : "sft";
    const r = (kind === "rl" ? rlMetricsLineSchema : sftMetricsLineSchema).safeParse(raw);
    if (!r.success) throw new UserError(`${where}: ${issueText(r.error)}`, 1);
    if (kind === "rl") rl.push(r.data as RlMetricsLine);
    else sft.push(r.data as SftMetricsLine);
  }
  if (kind === "rl") return { kind, lines: rl };
  if (kind === "sft") return { kind, lines: sft };
  return { kind: "empty", lines: [] };
}

/** Epoch numbers that have a groups/epoch-<k>.jsonl, ascending. */
export async function listGroupEpochs(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(join(runDir, "groups"));
  } catch {
    return [];
  }
  return names.flatMap((f) => /^epoch-(\d+)\.jsonl$/.exec(f)?.[1] ?? []).map(Number).sort((a, b) => a - b);
}

/** Up to `max` groups of one epoch, image paths resolved (inside the run folder, existing). */
export async function readGroups(runDir: string, epoch: number, max: number): Promise<GroupLine[]> {
  const root = resolve(runDir);
  const path = join(runDir, "groups", `epoch-${epoch}.jsonl`);
  const out: GroupLine[] = [];
  for (const [i, text] of (await readLines(path)).entries()) {
    if (text.trim() === "") continue;
    if (out.length >= max) break;
    const where = `${path}:${i + 1}`;
    const r = groupLineSchema.safeParse(parseLine(text, where));
    if (!r.success) throw new UserError(`${where}: ${issueText(r.error)}`, 1);
    const check = async (field: string, p: string) => {
      const res = resolveInside(root, p);
      if ("error" in res) throw new UserError(`${where}: ${field}: ${res.error}`, 1);
      const st = await stat(res.path).catch(() => null);
      if (!st?.isFile()) throw new UserError(`${where}: ${field}: ${p} does not exist`, 1);
    };
    await check("reference_image", r.data.reference_image);
    for (const [j, g] of r.data.generations.entries()) await check(`generations.${j}.image`, g.image);
    out.push(r.data);
  }
  return out;
}
