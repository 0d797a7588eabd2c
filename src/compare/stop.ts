/**
 * Which checkpoint of a trained cell its eval reads (`compare --stop`):
 *   latest    checkpoints/latest, the end of the budget;
 *   val-best  the point of the run's validation curve (`train --val-every`, metrics.jsonl `val`) with the
 *             highest ½·(Judge-DP + Judge-PF) of eval's judge on the val records — the sweep's
 *             `judge-mean` criterion, the same rule for every method — ties to the earlier epoch; its
 *             checkpoint, which the trainer writes at every validation point.
 * Only validation numbers are read: the test split is evaluated once, for the chosen checkpoint.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../runtime/errors.js";
import { runPaths } from "../runtime/run-folder.js";

export const STOP_RULES = ["latest", "val-best"] as const;
export type StopRule = (typeof STOP_RULES)[number];

export interface ChosenStop {
  /** Epochs trained at the chosen point. */
  epochs: number;
  step: number;
  /** ½·(DP + PF) on validation. */
  score: number;
  checkpoint: string;
}

interface ValLine {
  epoch: number;
  step: number;
  val?: { epochs: number; means: Record<string, number | null> };
}

/** The val-best point of a run folder, or null when its metrics have no scored validation point yet. */
export function valBestStop(run: string): ChosenStop | null {
  const file = join(run, "metrics.jsonl");
  if (!existsSync(file)) return null;
  let best: ChosenStop | null = null;
  for (const text of readFileSync(file, "utf8").split("\n")) {
    if (text.trim() === "") continue;
    const line = JSON.parse(text) as ValLine;
    const dp = line.val?.means.judge_dp;
    const pf = line.val?.means.judge_pf;
    if (typeof dp !== "number" || typeof pf !== "number") continue;
    const score = (dp + pf) / 2;
    if (best === null || score > best.score) best = { epochs: line.val!.epochs, step: line.step, score, checkpoint: runPaths.checkpoint(run, line.step) };
  }
  if (best && !existsSync(best.checkpoint)) throw new UserError(`${run}: the val-best point (epoch ${best.epochs}) has no checkpoint left (${best.checkpoint}); keepCheckpoints must keep every validation point`, 1);
  return best;
}

/** Validation points a run of `epochs` epochs makes (every `every` epochs and the last). */
export function validationPoints(epochs: number, every: number): number {
  return Math.floor(epochs / every) + (epochs % every === 0 ? 0 : 1);
}
