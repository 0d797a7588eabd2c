/**
 * The scripts' one way to run a `portraitrl` step (scripts/train-sft.ts, compare-demo-regime.ts,
 * compare-paper-budget.ts): the built CLI (dist/, so `npm run build` first) as a child with the terminal
 * inherited, the command echoed to stderr, the script ended with the child's exit status when it fails,
 * and the step's command and wall seconds returned for the script's record.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../src/demo/settings.js";

export interface RanStep {
  command: string;
  seconds: number;
}

const CLI = join(PACKAGE_ROOT, "dist", "cli", "main.js");

export function portraitrl(args: readonly string[]): RanStep {
  const command = `portraitrl ${args.join(" ")}`;
  process.stderr.write(`$ ${command}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return { command, seconds: (performance.now() - t0) / 1000 };
}
