/**
 * NaSPO, Negative-aware Score Preference Optimization (paper §3.3; DESIGN §4).
 *
 *   (8)  r(c, x_t) = −(β_t/2)·(‖v − v_θ‖² − ‖v − v_ref‖²)
 *        Q_old     = −β·E[D_KL(π_θ ‖ π_old)], estimated (switch `qOld`, no gradient) as
 *                    "batch-old-deviation": −(β_t/2)·mean_batch ‖v_θ − v_old‖²          (default;
 *                    the mean over the valid samples of the batch the loss is given)
 *                    "old-implicit-reward": −(β_t/2)·(‖v − v_old‖² − ‖v − v_ref‖²) per sample
 *                    (then Δ = −(β_t/2)(‖v − v_θ‖² − ‖v − v_old‖²): v_ref cancels, §4.6)
 *        Δ = r − Q_old; σ(Δ) and σ(−Δ) = σ(Q_old − r) without gradient unless `sigmaGrad`
 *   (14) Adv = ½ + ½·clip(z, −1, 1)                               (advantages.ts; `inputs.pref`)
 *   (15) v⁺ = v + (1 − σ(r − Q_old))·(v_θ − v_old)
 *   (18) v⁻ = v + (1 + σ(Q_old − r))·(v_θ − v_old)
 *   (19) L  = Adv·‖v_θ − v⁺‖² + (1 − Adv)·‖v_θ − v⁻‖²
 * v_θ inside v⁺, v⁻ carries gradient, which makes NaSPO DiffusionNFT's kernel with β⁺ = σ(Δ),
 * β⁻ = σ(−Δ) (anchors-algorithms.md §4.6). `space: "x0"` replaces each ‖·‖² of Eq. 19 by
 * DiffusionNFT's self-normalised x0-space error of the same difference (diffusion-nft.ts).
 * The reference of Eq. 8 (switch `reference`) is whatever the trainer passes as `vRef`: the frozen
 * cold-start model, or the old policy (then pass v_old again).
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { sigmoid } from "../runtime/stable-sigmoid.js";
import { z } from "zod";
import { eq14Signal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import { betaScheduleSchema, betaT } from "./beta-schedule.js";
import { branchError, lossSpaceSchema, type X0Weights } from "./diffusion-nft.js";
import { decayTypeSchema } from "./ema.js";
import { implicitReward } from "./implicit-reward.js";
import type { ForwardInputs, LossResult } from "./inputs.js";
import { disposeUnused, perSample, sg, sqNorm, weightedMean, weightedSum } from "./ops.js";

export const naspoConfigSchema = z.strictObject({
  /** β of Eq. 8. The paper gives none; ‖·‖² differences are O(1e-4–1e-2), so β must be O(10²–10⁴) for σ(Δ) to leave ½. */
  beta: z.number().positive().default(1000),
  betaSchedule: betaScheduleSchema.default("constant"),
  /** Let gradient flow through σ(Δ) (through r; Q_old never has gradient). */
  sigmaGrad: z.boolean().default(false),
  qOld: z.enum(["batch-old-deviation", "old-implicit-reward"]).default("batch-old-deviation"),
  /** The reference of Eq. 8: the trainer passes its velocity as `vRef`. */
  reference: z.enum(["cold-start", "old-policy"]).default("cold-start"),
  space: lossSpaceSchema.default("velocity"),
  /** Optional velocity-MSE penalty to `vRef`, as DiffusionNFT's KL (0 = off). */
  klWeight: z.number().min(0).default(0),
  decayType: decayTypeSchema.default(1),
});
export type NaspoConfig = z.infer<typeof naspoConfigSchema>;

/** Stop-gradient values the loss computes itself unless given (given ones are used as constants). */
export interface NaspoFrozen extends X0Weights {
  qOld?: JaxArray;
  /** Δ, used only when σ has no gradient. */
  delta?: JaxArray;
}

export interface NaspoAux extends Record<string, JaxArray> {
  /** Eq. 8 implicit reward r `[B]`. */
  reward: JaxArray;
  qOld: JaxArray;
  /** Δ = r − Q_old `[B]`. */
  delta: JaxArray;
  /** σ(Δ) `[B]` (= β⁺). */
  sigma: JaxArray;
  oldDeviate: JaxArray;
  kl: JaxArray;
}

export function naspoLoss(inputs: ForwardInputs, cfg: NaspoConfig, frozen: NaspoFrozen = {}): LossResult<NaspoAux & X0Weights> {
  const { vTheta, vOld, vRef, v, t, pref: adv, weight } = inputs;
  if (!vRef) throw new Error("naspoLoss: vRef is required (cold-start model or old policy, Eq. 8)");
  const shape = vTheta.shape;
  const bt = betaT(cfg.beta, cfg.betaSchedule, t.ref);
  const reward = implicitReward(vTheta.ref, vRef.ref, v.ref, bt.ref); // (8)
  const oldDeviate = weightedMean(sqNorm(vTheta.ref.sub(vOld.ref)), weight.ref);
  let qOld: JaxArray;
  if (frozen.qOld) {
    qOld = frozen.qOld;
  } else if (cfg.qOld === "batch-old-deviation") {
    qOld = sg(bt.ref.mul(-0.5).mul(oldDeviate.ref)); // −(β_t/2)·mean_batch ‖v_θ − v_old‖²
  } else {
    qOld = sg(implicitReward(vOld.ref, vRef.ref, v.ref, bt.ref)); // −(β_t/2)(‖v − v_old‖² − ‖v − v_ref‖²)
  }
  bt.dispose();
  let delta: JaxArray;
  if (cfg.sigmaGrad) {
    disposeUnused(frozen.delta);
    delta = reward.ref.sub(qOld.ref);
  } else {
    delta = frozen.delta ?? sg(reward.ref.sub(qOld.ref));
  }
  const sigmaPos = sigmoid(delta.ref); // σ(r − Q_old)
  const sigmaNeg = sigmoid(delta.ref.neg()); // σ(Q_old − r)
  const step = vTheta.ref.sub(vOld.ref); // v_θ − v_old
  const vPlus = v.ref.add(perSample(np.subtract(1, sigmaPos.ref), shape).mul(step.ref)); // (15)
  const vMinus = v.ref.add(perSample(np.add(1, sigmaNeg), shape).mul(step)); // (18)
  const pos = branchError(vTheta.ref.sub(vPlus), t.ref, cfg.space, frozen.wPos); // ‖v_θ − v⁺‖²
  const neg = branchError(vTheta.ref.sub(vMinus), t.ref, cfg.space, frozen.wNeg); // ‖v_θ − v⁻‖²
  const per = adv.ref.mul(pos.loss).add(np.subtract(1, adv.ref).mul(neg.loss)); // (19)
  let loss = weightedSum(per, weight.ref);
  const kl = weightedSum(sqNorm(vTheta.ref.sub(vRef.ref)), weight.ref);
  if (cfg.klWeight > 0) loss = loss.add(kl.ref.mul(cfg.klWeight));
  disposeUnused(vTheta, vOld, vRef, v, t, adv, weight);
  const aux: NaspoAux & X0Weights = {
    reward: sg(reward),
    qOld,
    delta: sg(delta),
    sigma: sg(sigmaPos),
    oldDeviate,
    kl: sg(kl),
  };
  if (pos.w) aux.wPos = pos.w;
  if (neg.w) aux.wNeg = neg.w;
  return { loss, aux };
}

/** The recipe: Eq. 12–13 rewards, Eq. 14 advantages, v_old always, v_ref unless the reference is the old policy. */
export const naspoRecipe: AlgorithmRecipe<NaspoConfig> = {
  name: "naspo",
  schema: naspoConfigSchema,
  loss: { inputs: "samples", run: naspoLoss },
  needs: (cfg) => ({ old: true, ref: cfg.reference === "cold-start" }),
  referenceIsOld: (cfg) => cfg.reference === "old-policy",
  rewardRecipe: "standardized",
  signal: () => eq14Signal, // (14)
  oldDecay: (cfg) => cfg.decayType,
};
