/**
 * The training run folder, one module for SFT and RL runs (scratch/FORMATS.md):
 *   RUN/config.json               {kind, version, config, seed, …, versions, created_at}
 *   RUN/metrics.jsonl             one line per log interval (SFT) or epoch (RL)
 *   RUN/checkpoints/step-<n>/     model checkpoints with the run state
 *   RUN/checkpoints/latest        symlink to the newest complete checkpoint, replaced atomically
 * Entry points, in the order a command calls them:
 *   inspectRunFolder: before anything is written; refuses (exit 2, untouched) a folder that is not a
 *                     run of this kind and config; says what to resume from;
 *   openRunFolder:    creates RUN atomically with its config.json (when new); clears leftovers of an interrupted write;
 *   truncateMetrics / appendMetrics / commitCheckpoint: while training.
 * A checkpoint folder is complete (written to a temporary folder and renamed) before `latest` moves to
 * it (temporary link + rename), so a crash at any moment leaves `latest` on a complete one.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { UserError } from "./errors.js";
import { createRunFolder, removeLeftovers } from "./run-folder-create.js";

export const runPaths = {
  config: (run: string) => join(run, "config.json"),
  metrics: (run: string) => join(run, "metrics.jsonl"),
  checkpoints: (run: string) => join(run, "checkpoints"),
  latest: (run: string) => join(run, "checkpoints", "latest"),
  checkpoint: (run: string, step: number) => join(run, "checkpoints", `step-${step}`),
};

const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The first dotted path (keys in sorted order) at which two JSON values differ, skipping the top-level field `ignore`; null if none. */
export function firstDifference(a: unknown, b: unknown, ignore?: string, path = ""): string | null {
  if (ignore !== undefined && path === ignore) return null;
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], ignore, path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : path || "(root)";
}

export interface RunFolderStatus {
  /** The newest complete checkpoint, or null for a fresh start. */
  resumeFrom: string | null;
  /** The folder already holds this run's config.json. */
  existing: boolean;
}

export interface RunExpectation {
  /** config.json's `kind`. */
  kind: string;
  /** What the folder is, in messages ("a training run folder"). */
  what: string;
  /** This command's config. */
  config: unknown;
  /** A config field that may differ (a run may be extended), if any. */
  extendable?: string;
}

/**
 * Checks RUN before anything is written: a folder that is not a run of this kind, or of another config,
 * is refused (exit 2) and left untouched; a run of another config that never reached its first
 * checkpoint is started again (`existing: false`: openRunFolder replaces it). Returns what to resume from.
 */
export async function inspectRunFolder(run: string, expect: RunExpectation): Promise<RunFolderStatus> {
  if (!existsSync(run)) return { resumeFrom: null, existing: false };
  if (!statSync(run).isDirectory()) throw new UserError(`--out ${run}: exists and is not a folder`, 2);
  const file = runPaths.config(run);
  if (!existsSync(file)) {
    if ((await readdir(run)).length > 0) throw new UserError(`--out ${run}: folder exists, is not empty and has no config.json (not ${expect.what})`, 2);
    return { resumeFrom: null, existing: false };
  }
  let stored: { kind?: unknown; config?: unknown };
  try {
    stored = JSON.parse(await readFile(file, "utf8")) as { kind?: unknown; config?: unknown };
  } catch (e) {
    throw new UserError(`${file}: unreadable (${(e as Error).message.split("\n")[0]})`, 2);
  }
  if (stored.kind !== expect.kind) throw new UserError(`${file}: kind is ${JSON.stringify(stored.kind)}, not a ${expect.kind} run`, 2);
  const resumeFrom = await readlink(runPaths.latest(run)).then(
    (target) => join(runPaths.checkpoints(run), target),
    () => null,
  );
  const diff = firstDifference(stored.config, expect.config, expect.extendable);
  if (diff !== null && resumeFrom === null) return { resumeFrom: null, existing: false }; // never checkpointed: start again
  if (diff !== null) {
    const get = (c: unknown): unknown => diff.split(".").reduce<unknown>((o, k) => (isPlain(o) ? o[k] : undefined), c);
    throw new UserError(`${file}: resume refused: config field ${diff} is ${JSON.stringify(get(stored.config))} in the run folder but ${JSON.stringify(get(expect.config))} in this command`, 2);
  }
  return { resumeFrom, existing: true };
}

/**
 * Creates RUN atomically with its config.json (when new, or replacing a run that never checkpointed);
 * removes leftovers of interrupted writes. Call it holding the run lock (run-lock.ts).
 */
export async function openRunFolder(run: string, file: unknown, status: RunFolderStatus): Promise<void> {
  if (!status.existing) await createRunFolder(run, { "config.json": JSON.stringify(file, null, 2) + "\n" }, ["checkpoints"]);
  for (const f of [runPaths.config(run), runPaths.metrics(run)]) await removeLeftovers(f);
  for (const e of await readdir(runPaths.checkpoints(run))) if (e.startsWith(".")) await rm(join(runPaths.checkpoints(run), e), { recursive: true, force: true });
}

/** Keeps only the metrics lines `keep` accepts (those before the checkpoint a run resumes from); a torn line goes. */
export async function truncateMetrics(run: string, keep: (line: Record<string, unknown>) => boolean): Promise<void> {
  const file = runPaths.metrics(run);
  if (!existsSync(file)) return;
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      return keep(JSON.parse(l) as Record<string, unknown>);
    } catch {
      return false; // a torn last line
    }
  });
  if (kept.length !== lines.length) await writeFileAtomic(file, kept.map((l) => l + "\n").join(""));
}

/** Appends one metrics line (the whole line in one write). */
export async function appendMetrics(run: string, line: object): Promise<void> {
  await writeFile(runPaths.metrics(run), JSON.stringify(line) + "\n", { flag: "a" });
}

/** Points `latest` at `step-<n>` (atomic replace), then removes all but the newest `keep` checkpoints (never step-<n>). */
export async function commitCheckpoint(run: string, step: number, keep: number): Promise<void> {
  const dir = runPaths.checkpoints(run);
  const tmp = join(dir, `.latest-${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(`step-${step}`, tmp);
  await rename(tmp, runPaths.latest(run));
  const steps = checkpointSteps(run).reverse();
  for (const s of steps.slice(keep)) if (s !== step) await rm(join(dir, `step-${s}`), { recursive: true, force: true });
}

/** The steps of the checkpoints (`checkpoints/step-<n>`) a run folder holds, ascending. */
export function checkpointSteps(run: string): number[] {
  const dir = runPaths.checkpoints(run);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((e) => /^step-(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}
