/**
 * `portraitrl` child processes for compare, run asynchronously so that up to `jobs` cells train or
 * evaluate at once (a jax-js process keeps about two cores busy). With one job the child writes straight
 * to the terminal (its progress bar works); with several, each output line is prefixed with its cell.
 */
import { spawn } from "node:child_process";
import { UserError } from "../runtime/errors.js";
import { withLifeline, type StepLog } from "../runtime/child.js";

export interface CliRunner {
  /** Node flags and the CLI entry: `[...execArgv, main.js]` (under tsx: `--import tsx … main.ts`). */
  nodeArgs: readonly string[];
  /** Prefix output lines with the cell name (for jobs > 1). */
  prefix: boolean;
}

function pipeLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, tag: string): void {
  let rest = "";
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => {
    const parts = (rest + chunk).split(/\r?\n|\r/);
    rest = parts.pop() ?? "";
    for (const line of parts) if (line.trim() !== "") to.write(`[${tag}] ${line}\n`);
  });
  from.on("end", () => {
    if (rest.trim() !== "") to.write(`[${tag}] ${rest}\n`);
  });
}

/** Run `portraitrl <args>`; resolves with its log, rejects with a one-line UserError carrying its exit code (130 on SIGINT). */
export function runCliAsync(runner: CliRunner, tag: string, args: readonly string[]): Promise<StepLog> {
  const command = `portraitrl ${args.join(" ")}`;
  process.stderr.write(runner.prefix ? `[${tag}] $ ${command}\n` : `\n$ ${command}\n`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [...runner.nodeArgs, ...args], withLifeline(runner.prefix ? ["ignore", "pipe", "pipe"] : ["inherit", "inherit", "inherit"]));
  if (runner.prefix) {
    pipeLines(child.stdout!, process.stdout, tag);
    pipeLines(child.stderr!, process.stderr, tag);
  }
  return new Promise((resolvePromise, reject) => {
    child.on("error", (err) => reject(new UserError(`\`${command}\` could not start (${err.message})`, 1)));
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      if (signal === "SIGINT" || code === 130) reject(new UserError(`interrupted during \`${command}\`; run the same command again to continue`, 130));
      else if (code !== 0) reject(new UserError(`${tag}: \`${command}\` failed (exit ${code ?? signal}); see its message above`, code ?? 1));
      else resolvePromise({ command, seconds, skipped: false });
    });
  });
}

/**
 * Run `task` on every item, at most `jobs` at once, in order. After the first failure (or once
 * `stopping()` is true) no new item starts; the running ones finish; then the first failure is thrown.
 */
export async function runPool<T>(items: readonly T[], jobs: number, task: (item: T) => Promise<void>, stopping: () => boolean): Promise<void> {
  let next = 0;
  let failure: unknown = undefined;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && !stopping() && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  if (failed) throw failure;
}
