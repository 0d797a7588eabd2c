/**
 * The demo's stopping rule, applied the same way to every trained arm: each checkpoint the run kept is
 * evaluated on the validation split, and the arm's test row is the checkpoint with the highest validation
 * score — the mean of the held-out judge's DP and PF (the paper's two objectives, equally weighted, as
 * the reward weighs them; w_dp = ½). Test is read only for the chosen checkpoint.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evalJsonSchema, metricOf, type MetricName } from "../eval/format.js";

export interface ValidationPoint {
  step: number;
  judge_dp: number | null;
  judge_pf: number | null;
  /** ½·(DP + PF); null when either is missing. */
  score: number | null;
}

/** The mean of each metric an eval folder's eval.json records (null where it has none). */
export function evalMeans(evalDir: string): (m: MetricName) => number | null {
  const metrics = evalJsonSchema.parse(JSON.parse(readFileSync(join(evalDir, "eval.json"), "utf8"))).metrics;
  return (m) => metricOf(metrics, m).mean;
}

/** The validation point of one eval folder. */
export function validationPoint(step: number, evalDir: string): ValidationPoint {
  const mean = evalMeans(evalDir);
  const dp = mean("judge_dp");
  const pf = mean("judge_pf");
  return { step, judge_dp: dp, judge_pf: pf, score: dp !== null && pf !== null ? (dp + pf) / 2 : null };
}

/** The point with the highest score; ties go to the earlier step. Throws when no point has a score. */
export function chooseOnValidation(points: readonly ValidationPoint[]): ValidationPoint {
  let best: ValidationPoint | null = null;
  for (const p of points) if (p.score !== null && (best === null || p.score > (best.score as number))) best = p;
  if (best === null) throw new Error(`chooseOnValidation: none of ${points.length} checkpoints has a validation score`);
  return best;
}
