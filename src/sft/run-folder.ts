/**
 * The SFT run folder (scratch/FORMATS.md, "A training run folder"):
 *   RUN/config.json            {kind, version, config, seed, model, inputs, versions, created_at}
 *   RUN/metrics.jsonl          one line per log interval: {step, loss, lr, grad_norm, time_s}
 *   RUN/checkpoints/step-<n>/  model checkpoints (saveCheckpoint) with the optimizer state
 *   RUN/checkpoints/latest     symlink to the newest complete checkpoint, replaced atomically
 * A checkpoint folder is complete before `latest` moves to it, so a crash never leaves `latest` on a
 * half-written one.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../runtime/atomic.js";
import { createRunFolder, removeLeftovers } from "../runtime/run-folder-create.js";
import { UserError } from "../runtime/errors.js";
import type { ModelConfig } from "../model/index.js";
import type { SftConfig } from "./config.js";

export const SFT_RUN_KIND = "portraitrl-sft";

export interface SftRunFile {
  kind: typeof SFT_RUN_KIND;
  version: 1;
  config: SftConfig;
  seed: number;
  model: ModelConfig;
  inputs: { data: string; train_records: number };
  versions: Record<string, string>;
  created_at: string;
}

export const sftPaths = {
  config: (run: string) => join(run, "config.json"),
  metrics: (run: string) => join(run, "metrics.jsonl"),
  checkpoints: (run: string) => join(run, "checkpoints"),
  latest: (run: string) => join(run, "checkpoints", "latest"),
  checkpoint: (run: string, step: number) => join(run, "checkpoints", `step-${step}`),
};

export function versions(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const version = (file: string): string => (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  const jaxPkg = join(dirname(req.resolve("@jax-js/jax")), "..", "package.json");
  return { portraitrl: version(req.resolve("../../package.json")), node: process.version, jax_js: version(jaxPkg) };
}

/** The first dotted path at which two JSON values differ, or null. */
function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : path || "(root)";
}

export interface SftRunStatus {
  /** The newest complete checkpoint to resume from, or null for a fresh start. */
  resumeFrom: string | null;
  /** RUN already holds this run's config.json. */
  existing: boolean;
}

/**
 * Check RUN before anything is written. A folder that is not an SFT run, or a run with another
 * config (any field but `steps`, which may grow to extend a run), is refused (exit 2) and untouched,
 * unless it never reached its first checkpoint: then it is started again (`existing: false`).
 */
export async function inspectSftRun(run: string, config: SftConfig): Promise<SftRunStatus> {
  if (!existsSync(run)) return { resumeFrom: null, existing: false };
  if (!statSync(run).isDirectory()) throw new UserError(`--out ${run}: exists and is not a folder`, 2);
  const file = sftPaths.config(run);
  if (!existsSync(file)) {
    if ((await readdir(run)).length > 0) throw new UserError(`--out ${run}: folder exists, is not empty and has no config.json (not an SFT run folder)`, 2);
    return { resumeFrom: null, existing: false };
  }
  let stored: SftRunFile;
  try {
    stored = JSON.parse(await readFile(file, "utf8")) as SftRunFile;
  } catch (e) {
    throw new UserError(`${file}: unreadable (${(e as Error).message.split("\n")[0]})`, 2);
  }
  if (stored.kind !== SFT_RUN_KIND) throw new UserError(`${file}: kind is ${JSON.stringify(stored.kind)}, not a ${SFT_RUN_KIND} run`, 2);
  const resumeFrom = await readlink(sftPaths.latest(run)).then(
    (target) => join(sftPaths.checkpoints(run), target),
    () => null,
  );
  const diff = firstDifference({ ...stored.config, steps: 0 }, { ...config, steps: 0 });
  if (diff !== null && resumeFrom === null) return { resumeFrom: null, existing: false }; // never checkpointed: start again
  if (diff !== null) throw new UserError(`${file}: resume refused: config field ${diff} differs from this command's`, 2);
  return { resumeFrom, existing: true };
}

/**
 * Create RUN atomically with its config.json (when new, or replacing a run that never checkpointed) and
 * clear leftovers of interrupted writes. Call it holding the run lock.
 */
export async function openSftRun(run: string, file: SftRunFile, status: SftRunStatus): Promise<void> {
  if (!status.existing) await createRunFolder(run, { "config.json": JSON.stringify(file, null, 2) + "\n" }, ["checkpoints"]);
  for (const f of [sftPaths.config(run), sftPaths.metrics(run)]) await removeLeftovers(f);
  for (const e of await readdir(sftPaths.checkpoints(run))) {
    if (e.startsWith(".")) await rm(join(sftPaths.checkpoints(run), e), { recursive: true, force: true });
  }
}

/** Keep only metrics lines up to `step` (lines logged after the checkpoint a run resumes from go). */
export async function truncateMetrics(run: string, step: number): Promise<void> {
  const file = sftPaths.metrics(run);
  if (!existsSync(file)) return;
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false; // a torn last line
    }
  });
  if (kept.length !== lines.length) await writeFileAtomic(file, kept.map((l) => l + "\n").join(""));
}

export async function appendMetrics(run: string, line: Record<string, unknown>): Promise<void> {
  await writeFile(sftPaths.metrics(run), JSON.stringify(line) + "\n", { flag: "a" });
}

/** Point `latest` at step-<n> (atomic), then delete all but the newest `keep` checkpoints. */
export async function commitCheckpoint(run: string, step: number, keep: number): Promise<void> {
  const dir = sftPaths.checkpoints(run);
  const tmp = join(dir, `.latest-${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(`step-${step}`, tmp);
  await rename(tmp, sftPaths.latest(run));
  const steps = (await readdir(dir))
    .map((e) => /^step-(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const s of steps.slice(keep)) await rm(join(dir, `step-${s}`), { recursive: true, force: true });
}
