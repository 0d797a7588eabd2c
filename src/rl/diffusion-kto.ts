/**
 * Diffusion-KTO (jacklishufan/diffusion-kto `train_kto_sd_v1.5.py` L1451–1519; anchors-algorithms.md
 * §4.4) in velocity form, on unpaired rollout samples labelled desirable (1) when their group
 * advantage is positive and undesirable (0) when negative (advantages.ts `ktoLabels`).
 *
 *       g   = β_t·(‖v − v_ref‖² − ‖v − v_θ‖²)                     = 2·r(c, x_t) of Eq. 8 (no ½, as the code)
 *       z0  = sg(max(mean_batch g, 0))                              KL reference point
 *       h   = σ((2y − 1)·(g − z0))                                  "sigmoid" value function
 *       L   = mean( λ_y·(1 − h) )                                   λ_D = λ_U = 1
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { sigmoid } from "../runtime/stable-sigmoid.js";
import { z } from "zod";
import { ktoSignal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import { betaScheduleSchema, betaT } from "./beta-schedule.js";
import type { LabelledInputs, LossResult } from "./inputs.js";
import { sg, sqNorm, weightedMean, weightedSum } from "./ops.js";

export const diffusionKtoConfigSchema = z.strictObject({
  beta: z.number().positive().default(1000),
  betaSchedule: betaScheduleSchema.default("constant"),
  /** λ_D, the weight of desirable samples. */
  lambdaDesirable: z.number().positive().default(1),
  /** λ_U, the weight of undesirable samples. */
  lambdaUndesirable: z.number().positive().default(1),
});
export type DiffusionKtoConfig = z.infer<typeof diffusionKtoConfigSchema>;

export interface KtoFrozen {
  /** The reference point z0, a scalar. */
  z0?: JaxArray;
}

export interface KtoAux extends Record<string, JaxArray> {
  z0: JaxArray;
  /** Fraction of samples with (2y − 1)·(g − z0) > 0. */
  accuracy: JaxArray;
}

export function diffusionKtoLoss(inputs: LabelledInputs, cfg: DiffusionKtoConfig, frozen: KtoFrozen = {}): LossResult<KtoAux> {
  const { vTheta, vRef, v, t, label, weight } = inputs;
  const bt = betaT(cfg.beta, cfg.betaSchedule, t);
  const g = bt.mul(sqNorm(v.ref.sub(vRef)).sub(sqNorm(v.sub(vTheta)))); // g = β_t(‖v − v_ref‖² − ‖v − v_θ‖²)
  const z0 = frozen.z0 ?? sg(np.maximum(weightedMean(g.ref, weight.ref), 0)); // z0 = sg(max(mean g, 0))
  const sign = label.ref.mul(2).sub(1); // 2y − 1
  const signed = sign.mul(g.sub(z0.ref));
  const h = sigmoid(signed.ref);
  const lambda = label.ref.mul(cfg.lambdaDesirable).add(np.subtract(1, label).mul(cfg.lambdaUndesirable)); // λ_y
  const loss = weightedSum(lambda.mul(np.subtract(1, h)), weight.ref); // mean λ_y(1 − h)
  const accuracy = weightedMean(np.greater(signed, 0).astype(np.float32), weight);
  return { loss, aux: { z0, accuracy } };
}

/** The recipe: labels from the sign of A = the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum), against the frozen reference. */
export const diffusionKtoRecipe: AlgorithmRecipe<DiffusionKtoConfig> = {
  name: "diffusion-kto",
  schema: diffusionKtoConfigSchema,
  loss: { inputs: "labelled", run: diffusionKtoLoss },
  needs: () => ({ old: false, ref: true }),
  signal: () => ktoSignal,
};
