/**
 * Flow-DPO, online (flow_grpo `scripts/train_sd3_dpo.py`; anchors-algorithms.md §2.7, §4.2): the pairs
 * are the best (winner) and worst (loser) sample of each rollout group (advantages.ts
 * `bestWorstPairs`), noised with the same x1 and t.
 *
 *   (8) r_w = −(β_t/2)(‖v_w − v_θ(x_t^w)‖² − ‖v_w − v_ref(x_t^w)‖²),  r_l likewise
 *       u   = r_w − r_l = −(β_t/2)[(L_θ^w − L_ref^w) − (L_θ^l − L_ref^l)]
 *       L   = −log σ(u)
 * β = 100 and a constant β_t as flow_grpo. The reference is the cold-start model; `refUpdateEvery`
 * > 0 turns it into OnlineDPO's periodically refreshed copy of θ (every that many optimizer steps).
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { logSigmoid } from "../runtime/stable-sigmoid.js";
import { z } from "zod";
import { pairSignal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import { betaScheduleSchema, betaT } from "./beta-schedule.js";
import { implicitReward } from "./implicit-reward.js";
import type { LossResult, PairInputs } from "./inputs.js";
import { weightedMean, weightedSum } from "./ops.js";

export const flowDpoConfigSchema = z.strictObject({
  beta: z.number().positive().default(100),
  betaSchedule: betaScheduleSchema.default("constant"),
  /** Copy θ into the reference every this many optimizer steps (0 = never: a frozen reference). */
  refUpdateEvery: z.number().int().min(0).default(0),
});
export type FlowDpoConfig = z.infer<typeof flowDpoConfigSchema>;

/** u = r_w − r_l per pair `[P]` (Eq. 8 on both sides); consumes the inputs' sides and `t`. */
export function pairMargin(inputs: Pick<PairInputs, "winner" | "loser" | "t">, beta: number, schedule: z.infer<typeof betaScheduleSchema>): JaxArray {
  const { winner: w, loser: l, t } = inputs;
  const bt = betaT(beta, schedule, t);
  const rw = implicitReward(w.vTheta, w.vRef, w.v, bt.ref); // (8) winner
  const rl = implicitReward(l.vTheta, l.vRef, l.v, bt); // (8) loser
  return rw.sub(rl);
}

export interface PairAux extends Record<string, JaxArray> {
  /** mean u over the valid pairs. */
  margin: JaxArray;
  /** Fraction of pairs with u > 0 (the implicit reward ranks the winner first). */
  implicitAcc: JaxArray;
}

export function flowDpoLoss(inputs: PairInputs, cfg: FlowDpoConfig): LossResult<PairAux> {
  const u = pairMargin(inputs, cfg.beta, cfg.betaSchedule);
  const w = inputs.weight;
  const loss = weightedSum(logSigmoid(u.ref).neg(), w.ref); // −log σ(u)
  const implicitAcc = weightedMean(np.greater(u.ref, 0).astype(np.float32), w.ref);
  const margin = weightedMean(u, w);
  return { loss, aux: { margin, implicitAcc } };
}

/** The recipe: best/worst pairs by the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum), the reference refreshed to θ every `refUpdateEvery` steps. */
export const flowDpoRecipe: AlgorithmRecipe<FlowDpoConfig> = {
  name: "flow-dpo",
  schema: flowDpoConfigSchema,
  loss: { inputs: "pairs", run: flowDpoLoss },
  needs: () => ({ old: false, ref: true }),
  signal: () => pairSignal,
  afterStep: (cfg) => (step) => ({ referenceToTheta: cfg.refUpdateEvery > 0 && step % cfg.refUpdateEvery === 0 }),
};
