/**
 * The steps of the main job. Each runs a `portraitrl` command in a child process (so what ran is
 * exactly a command a user can type, with its own validation, progress bar and SIGINT handling) and
 * is skipped when its result is already there, so running the demo again continues or reuses.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../runtime/errors.js";
import { withLifeline, type StepLog } from "../runtime/child.js";

/**
 * Run `portraitrl <args>` with `nodeArgs` (this process's loader flags and CLI entry), its lifeline
 * given (runtime/child.ts: it dies with the demo); exit codes pass through.
 */
export function runCli(nodeArgs: readonly string[], args: readonly string[]): StepLog {
  const command = `portraitrl ${args.join(" ")}`;
  process.stderr.write(`\n$ ${command}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, ...args], withLifeline(["inherit", "inherit", "inherit"]));
  const seconds = (performance.now() - t0) / 1000;
  if (r.signal === "SIGINT" || r.status === 130) throw new UserError(`interrupted during \`${command}\`; run the demo again to continue`, 130);
  if (r.status !== 0) throw new UserError(`\`${command}\` failed (exit ${r.status ?? r.signal}); see its message above`, r.status ?? 1);
  return { command, seconds, skipped: false };
}

/** The training seconds a run folder recorded (its last metrics line's `time_s`, summed over resumes). */
export function recordedTrainingSeconds(run: string): number {
  const lines = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n");
  return (JSON.parse(lines[lines.length - 1]!) as { time_s: number }).time_s;
}

/**
 * True when DIR holds a benchmark (`dataset.json`), false when it does not; a benchmark synthesised with
 * other settings is refused with one line naming the first field that differs (it would not match the
 * shipped checkpoint).
 */
export function benchmarkIsThere(dir: string, expected: Readonly<Record<string, unknown>>): boolean {
  const file = join(dir, "dataset.json");
  if (!existsSync(file)) return false;
  let config: Record<string, unknown> | undefined;
  try {
    config = (JSON.parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> }).config;
  } catch {
    throw new UserError(`${file}: not valid JSON; delete ${dir} to synthesise the benchmark again`, 1);
  }
  for (const [field, want] of Object.entries(expected)) {
    const got = config?.[field];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new UserError(`${file}: config.${field} is ${JSON.stringify(got)} but the shipped checkpoint needs ${JSON.stringify(want)}; delete ${dir} to synthesise it again`, 2);
    }
  }
  return true;
}
