/**
 * DSPO, Direct Score Preference Optimization (huaishengzhu/DSPO `train.py`, SD1.5 branch;
 * anchors-algorithms.md §4.3; paper Eq. 4–6) in velocity form, on the online best/worst pairs of
 * each group (as Flow-DPO, flow-dpo.ts).
 *
 *   (8) u = r(c, x_t^w) − r(c, x_t^l) = −(β_t/2)[(L_θ^w − L_ref^w) − (L_θ^l − L_ref^l)]
 *   (6) the winner's target v_w + γ·(1 − σ(u))·(v_θ^w − v_ref^w)
 *   (5) L = ‖(v_θ^w − v_w) − γ·(1 − σ(u))·(v_θ^w − v_ref^w)‖²
 * The loser enters only through σ(u); nothing is detached (as the official code). The official code
 * uses γ = β (ε space, β = 0.001); the paper's flow-matching optimum (Eq. 6) has γ = 1, our default.
 */
import { np } from "../runtime/jax.js";
import { sigmoid } from "../runtime/stable-sigmoid.js";
import { z } from "zod";
import { pairSignal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import { betaScheduleSchema } from "./beta-schedule.js";
import { pairMargin, type PairAux } from "./flow-dpo.js";
import type { LossResult, PairInputs } from "./inputs.js";
import { perSample, sqNorm, weightedMean, weightedSum } from "./ops.js";

export const dspoConfigSchema = z.strictObject({
  beta: z.number().positive().default(100),
  betaSchedule: betaScheduleSchema.default("constant"),
  /** γ, the scale of the winner's target shift. */
  gamma: z.number().positive().default(1),
});
export type DspoConfig = z.infer<typeof dspoConfigSchema>;

export function dspoLoss(inputs: PairInputs, cfg: DspoConfig): LossResult<PairAux> {
  const { winner: w, loser: l, t, weight } = inputs;
  const u = pairMargin(
    { winner: { vTheta: w.vTheta.ref, vRef: w.vRef.ref, v: w.v.ref }, loser: l, t },
    cfg.beta,
    cfg.betaSchedule,
  );
  const shape = w.vTheta.shape;
  const shift = perSample(np.subtract(1, sigmoid(u.ref)).mul(cfg.gamma), shape).mul(w.vTheta.ref.sub(w.vRef)); // γ(1 − σ(u))(v_θ^w − v_ref^w)
  const per = sqNorm(w.vTheta.sub(w.v).sub(shift)); // (5)
  const loss = weightedSum(per, weight.ref);
  const implicitAcc = weightedMean(np.greater(u.ref, 0).astype(np.float32), weight.ref);
  const margin = weightedMean(u, weight);
  return { loss, aux: { margin, implicitAcc } };
}

/** The recipe: best/worst pairs by the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum), against the frozen reference. */
export const dspoRecipe: AlgorithmRecipe<DspoConfig> = {
  name: "dspo",
  schema: dspoConfigSchema,
  loss: { inputs: "pairs", run: dspoLoss },
  needs: () => ({ old: false, ref: true }),
  signal: () => pairSignal,
};
