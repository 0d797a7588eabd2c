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

export interface CellOutcome {
  /** Seconds this cell took now (0 when skipped). */
  seconds: number;
  skipped: boolean;
  steps: StepLog[];
}

/** True when the cell's eval folder holds a finished eval of its checkpoint. */
export function cellIsDone(c: Cell): boolean {
  try {
    return existsSync(c.ckpt) && evalIsCurrent(c.evalDir, c.ckpt);
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
      steps.push(await runCliAsync(runner, c.name, c.eval));
    }
    await record(c, { seconds: done ? 0 : (performance.now() - t0) / 1000, skipped: done, steps });
  };
  await runPool(cells, jobs, runCell, stopping);
}
