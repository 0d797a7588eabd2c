/**
 * Running the cells of a compare or a sweep: a cell whose eval is of its current checkpoint is skipped;
 * otherwise its train (which resumes a partly trained run) and its eval run as `portraitrl` child
 * processes, at most `jobs` cells at once. `record` is called after every cell, finished or skipped, so
 * that the caller's manifest is written as the run goes.
 */
import { existsSync } from "node:fs";
import { skipped, type StepLog } from "../runtime/child.js";
import { evalIsCurrent } from "../eval/folder.js";
import { runCliAsync, runPool, type CliRunner } from "./child.js";
import type { Cell } from "./plan.js";
import { valBestStop } from "./stop.js";
import { UserError } from "../runtime/errors.js";

export interface CellOutcome {
  /** Seconds this cell took now (0 when skipped). */
  seconds: number;
  skipped: boolean;
  steps: StepLog[];
}

/** The checkpoint a cell's eval reads: its `ckpt`, or the val-best point of its run (null until it has one). */
export function checkpointOf(c: Cell): string | null {
  if (c.valBestOf === null) return c.ckpt;
  return valBestStop(c.valBestOf)?.checkpoint ?? null;
}

/** The cell's eval command, reading `ckpt`. */
function evalArgs(c: Cell, ckpt: string): string[] {
  const i = c.eval.indexOf("--ckpt");
  return c.eval.map((a, k) => (k === i + 1 ? ckpt : a));
}

/** True when the cell's eval folder holds a finished eval of its checkpoint. */
export function cellIsDone(c: Cell): boolean {
  try {
    const ckpt = checkpointOf(c);
    return ckpt !== null && existsSync(ckpt) && evalIsCurrent(c.evalDir, ckpt);
  } catch {
    return false; // an unreadable eval.json: evaluate again (eval --overwrite replaces it)
  }
}

export async function runCells(
  cells: readonly Cell[],
  jobs: number,
  runner: CliRunner,
  stopping: () => boolean,
  record: (c: Cell, outcome: CellOutcome) => Promise<void>,
): Promise<void> {
  const runCell = async (c: Cell): Promise<void> => {
    const t0 = performance.now();
    const steps: StepLog[] = [];
    const done = cellIsDone(c);
    if (done) steps.push(skipped(`[${c.name}] portraitrl ${c.eval.join(" ")}`));
    else {
      if (c.train) steps.push(await runCliAsync(runner, c.name, c.train));
      const ckpt = checkpointOf(c);
      if (ckpt === null) throw new UserError(`${c.name}: --stop val-best: the run ${c.valBestOf} has no validation point (train it with validation: every/samples)`, 1);
      steps.push(await runCliAsync(runner, c.name, evalArgs(c, ckpt)));
    }
    await record(c, { seconds: done ? 0 : (performance.now() - t0) / 1000, skipped: done, steps });
  };
  await runPool(cells, jobs, runCell, stopping);
}
