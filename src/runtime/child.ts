/**
 * A child `portraitrl` step, as demo and compare run them: the log of a step, and the spawn options
 * that give the child its lifeline (lifeline.ts) as file descriptor 3, so it exits when its parent is
 * gone however the parent died (SIGKILL included).
 */
import type { StdioNull, StdioPipe } from "node:child_process";
import { LIFELINE_ENV } from "./lifeline.js";

export interface StepLog {
  command: string;
  seconds: number;
  skipped: boolean;
}

/** A step whose result is already there: noted on stderr, not run. */
export function skipped(command: string): StepLog {
  process.stderr.write(`\n(already done) ${command}\n`);
  return { command, seconds: 0, skipped: true };
}

/** Spawn options with the child's fds 0–2 as `stdio` and its lifeline as fd 3 (the parent never writes to it). */
export function withLifeline(stdio: readonly [StdioNull | StdioPipe, StdioNull | StdioPipe, StdioNull | StdioPipe]): { stdio: (StdioNull | StdioPipe)[]; env: NodeJS.ProcessEnv } {
  return { stdio: [...stdio, "pipe"], env: { ...process.env, [LIFELINE_ENV]: "3" } };
}
