/**
 * The training run folder (scratch/FORMATS.md):
 *   RUN/config.json                the resolved config, seed, versions, inputs
 *   RUN/metrics.jsonl              one line per epoch
 *   RUN/groups/epoch-<k>.jsonl     per-group rollouts with images (every few epochs)
 *   RUN/checkpoints/step-<n>/      model checkpoints with the full run state (state.json + extra tensors)
 *   RUN/checkpoints/latest         symlink to the newest complete checkpoint, replaced atomically
 *   RUN/judge-cache.jsonl          the judge's response cache (a resumed epoch pays nothing twice)
 * A checkpoint is written with `saveCheckpoint` (temporary folder + rename) and only then does `latest`
 * move to it (temporary link + rename), so a crash at any moment leaves `latest` on a complete one.
 */
import { existsSync, readFileSync } from "node:fs";
import { readdir, readlink, rename, rm, symlink, writeFile, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { UserError } from "../../runtime/errors.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { createRunFolder, removeLeftovers } from "../../runtime/run-folder-create.js";
import { configDifference, type TrainConfig } from "./config.js";

export const RUN_KIND = "portraitrl-train";

export interface RunConfigFile {
  kind: typeof RUN_KIND;
  version: 1;
  config: TrainConfig;
  seed: number;
  inputs: { data: string; init: string };
  judge: Record<string, unknown>;
  reward: string;
  versions: Record<string, string>;
  created_at: string;
}

export function versions(): Record<string, string> {
  const req = createRequire(import.meta.url);
  const version = (file: string): string => (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  const jaxPkg = join(dirname(req.resolve("@jax-js/jax")), "..", "package.json");
  return { portraitrl: version(req.resolve("../../../package.json")), node: process.version, jax_js: version(jaxPkg) };
}

export const paths = {
  config: (run: string) => join(run, "config.json"),
  metrics: (run: string) => join(run, "metrics.jsonl"),
  checkpoints: (run: string) => join(run, "checkpoints"),
  latest: (run: string) => join(run, "checkpoints", "latest"),
  checkpoint: (run: string, step: number) => join(run, "checkpoints", `step-${step}`),
  judgeCache: (run: string) => join(run, "judge-cache.jsonl"),
  groups: (run: string, epoch: number) => join(run, "groups", `epoch-${epoch}.jsonl`),
};

export interface RunFolderStatus {
  /** The newest complete checkpoint, or null for a fresh start. */
  resumeFrom: string | null;
  /** The folder already holds this run's config.json. */
  existing: boolean;
}

/**
 * Checks RUN before anything is written: a folder that is not a run of this config is refused (exit 2)
 * and left untouched; a run of another config that never reached its first checkpoint is started again
 * (`existing: false`: openRunFolder replaces it). Returns what to resume from.
 */
export async function inspectRunFolder(run: string, config: TrainConfig): Promise<RunFolderStatus> {
  if (!existsSync(run)) return { resumeFrom: null, existing: false };
  const cfgFile = paths.config(run);
  if (!existsSync(cfgFile)) {
    const entries = await readdir(run);
    if (entries.length > 0) throw new UserError(`--out ${run}: folder exists, is not empty and has no config.json (not a training run folder)`, 2);
    return { resumeFrom: null, existing: false };
  }
  let stored: RunConfigFile;
  try {
    stored = JSON.parse(await readFile(cfgFile, "utf8")) as RunConfigFile;
  } catch (e) {
    throw new UserError(`${cfgFile}: unreadable (${(e as Error).message.split("\n")[0]})`, 2);
  }
  if (stored.kind !== RUN_KIND) throw new UserError(`${cfgFile}: kind is ${JSON.stringify(stored.kind)}, not a ${RUN_KIND} run`, 2);
  let resumeFrom: string | null;
  try {
    const target = await readlink(paths.latest(run));
    resumeFrom = join(paths.checkpoints(run), target);
  } catch {
    resumeFrom = null;
  }
  const diff = configDifference(stored.config, config);
  if (diff !== null && resumeFrom === null) return { resumeFrom: null, existing: false }; // never checkpointed: start again
  if (diff !== null) {
    const get = (c: unknown): unknown => diff.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), c);
    throw new UserError(`${cfgFile}: resume refused: config field ${diff} is ${JSON.stringify(get(stored.config))} in the run folder but ${JSON.stringify(get(config))} in this command`, 2);
  }
  return { resumeFrom, existing: true };
}

/**
 * Creates RUN atomically with its config.json (when new, or replacing a run that never checkpointed);
 * removes leftovers of interrupted writes. Call it holding the run lock.
 */
export async function openRunFolder(run: string, file: RunConfigFile, status: RunFolderStatus): Promise<void> {
  if (!status.existing) await createRunFolder(run, { "config.json": JSON.stringify(file, null, 2) + "\n" }, ["checkpoints"]);
  for (const f of [paths.config(run), paths.metrics(run)]) await removeLeftovers(f);
  for (const e of await readdir(paths.checkpoints(run))) if (e.startsWith(".")) await rm(join(paths.checkpoints(run), e), { recursive: true, force: true });
}

/** Keeps only the metrics lines of epochs before `epoch` (an interrupted epoch is replayed). */
export async function truncateMetrics(run: string, epoch: number): Promise<void> {
  const file = paths.metrics(run);
  if (!existsSync(file)) return;
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      return (JSON.parse(l) as { epoch: number }).epoch < epoch;
    } catch {
      return false; // a torn last line
    }
  });
  if (kept.length !== lines.length) await writeFileAtomic(file, kept.map((l) => l + "\n").join(""));
}

/** Appends one metrics line (the whole line in one write). */
export async function appendMetrics(run: string, line: Record<string, unknown>): Promise<void> {
  await writeFile(paths.metrics(run), JSON.stringify(line) + "\n", { flag: "a" });
}

/** Points `latest` at `step-<n>` (atomic replace), then removes all but the newest `keep` checkpoints. */
export async function commitCheckpoint(run: string, step: number, keep: number): Promise<void> {
  const dir = paths.checkpoints(run);
  const tmp = join(dir, `.latest-${process.pid}`);
  await rm(tmp, { force: true });
  await symlink(`step-${step}`, tmp);
  await rename(tmp, paths.latest(run));
  const steps = (await readdir(dir))
    .map((e) => /^step-(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const s of steps.slice(keep)) if (s !== step) await rm(join(dir, `step-${s}`), { recursive: true, force: true });
}
