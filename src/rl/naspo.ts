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
 *        Switch `deltaNorm` (not in the paper; issue 18): "none" uses Δ as above (default); "batch-std"
 *        puts Δ̃ = τ·Δ / (sg(std_batch Δ) + 1e-6) in its place, τ = `deltaTau`, the std over the valid
 *        samples of the batch the loss is given; "batch-z" puts Δ̃ = τ·(Δ − sg(mean_batch Δ)) /
 *        (sg(std_batch Δ) + 1e-6) (the batch mean of r takes Q_old's place as the reference point).
 *        ‖·‖² differences are O(1e-4–1e-2), so with Δ itself σ(Δ) stays near ½ unless β is so large
 *        that the run feeds back (configs/cpu/naspo.yaml); Δ̃ has batch std τ whatever β is, so τ alone
 *        sets how far σ(Δ̃) spreads. Measured (configs/cpu-tiny/naspo-normalised.yaml): every τ that
 *        spreads σ visibly ran away within 10–40 epochs where σ ≈ ½ stayed stable, because the σ
 *        factors reinforce θ's drift (a sample θ fits worse than θ_old gets less pull, more push).
 *        Switch `sigma` (ablation arm): "delta" (default) as above; "half" fixes σ(·) = ½ in (15) and
 *        (18), i.e. v⁺ = v + ½(v_θ − v_old), v⁻ = v + (3/2)(v_θ − v_old): DiffusionNFT's kernel with
 *        β⁺ = β⁻ = ½, so the table can say what the negative-aware weighting adds.
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
import { disposeUnused, perSample, sg, sqNorm, weightedMean, weightedStd, weightedSum } from "./ops.js";

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
  /**
   * Δ in σ(·): "none" (Eq. 15/18 as written), "batch-std" (Δ̃ = τ·Δ / (sg(std_batch Δ) + 1e-6)) or
   * "batch-z" (Δ̃ = τ·(Δ − sg(mean_batch Δ)) / (sg(std_batch Δ) + 1e-6)).
   */
  deltaNorm: z.enum(["none", "batch-std", "batch-z"]).default("none"),
  /** τ of the normalised Δ̃ (used with `deltaNorm` batch-std or batch-z). */
  deltaTau: z.number().positive().default(1),
  /** σ(·) of Eq. 15/18 from Δ ("delta"), or fixed at ½ ("half", the ablation arm). */
  sigma: z.enum(["delta", "half"]).default("delta"),
});
export type NaspoConfig = z.infer<typeof naspoConfigSchema>;

/** Stop-gradient values the loss computes itself unless given (given ones are used as constants). */
export interface NaspoFrozen extends X0Weights {
  qOld?: JaxArray;
  /** The argument of σ (Δ, or Δ̃ with `deltaNorm`), used only when σ has no gradient. */
  sigmaArg?: JaxArray;
  /** std_batch Δ of a normalised Δ̃ (a constant in any case). */
  deltaStd?: JaxArray;
}

/** The floor added to std_batch Δ in the normalised Δ̃ (DESIGN §4's std floor). */
export const DELTA_STD_FLOOR = 1e-6;

export interface NaspoAux extends Record<string, JaxArray> {
  /** Eq. 8 implicit reward r `[B]`. */
  reward: JaxArray;
  qOld: JaxArray;
  /** Δ = r − Q_old `[B]`. */
  delta: JaxArray;
  /** The argument of σ `[B]`: Δ, or Δ̃ (`deltaNorm`). */
  sigmaArg: JaxArray;
  /** The σ of Eq. 15 actually used `[B]` (= β⁺; ½ with `sigma: half`). */
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
  const delta = reward.ref.sub(qOld.ref); // Δ = r − Q_old
  const sigmaArg = argumentOfSigma(delta.ref, weight.ref, cfg, frozen);
  const [sigmaPos, sigmaNeg] = cfg.sigma === "half" ? halves(sigmaArg.ref) : [sigmoid(sigmaArg.ref), sigmoid(sigmaArg.ref.neg())]; // σ(r − Q_old), σ(Q_old − r)
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
    sigmaArg: sg(sigmaArg),
    sigma: sg(sigmaPos),
    oldDeviate,
    kl: sg(kl),
  };
  if (pos.w) aux.wPos = pos.w;
  if (neg.w) aux.wNeg = neg.w;
  return { loss, aux };
}

/**
 * The argument of σ: Δ, or Δ̃ = τ·Δ / (sg(std_batch Δ) + 1e-6), or Δ̃ = τ·(Δ − sg(mean_batch Δ)) /
 * (sg(std_batch Δ) + 1e-6) (`deltaNorm`); without gradient unless `sigmaGrad` (then the gradient flows
 * through Δ, never through the batch mean or std). Frozen values are used as given.
 */
function argumentOfSigma(delta: JaxArray, weight: JaxArray, cfg: NaspoConfig, frozen: NaspoFrozen): JaxArray {
  if (!cfg.sigmaGrad && frozen.sigmaArg) {
    disposeUnused(delta, weight, frozen.deltaStd);
    return frozen.sigmaArg;
  }
  disposeUnused(cfg.sigmaGrad ? frozen.sigmaArg : undefined);
  const d = cfg.sigmaGrad ? delta : sg(delta);
  if (cfg.deltaNorm === "none") {
    disposeUnused(weight, frozen.deltaStd);
    return d;
  }
  const std = frozen.deltaStd ?? sg(weightedStd(d.ref, weight.ref));
  let centred = d;
  if (cfg.deltaNorm === "batch-z") centred = d.ref.sub(sg(weightedMean(d, weight))); // Δ − mean_batch Δ
  else weight.dispose();
  return centred.mul(cfg.deltaTau).div(std.add(DELTA_STD_FLOOR)); // Δ̃ = τ·(…) / (std + 1e-6)
}

/** σ fixed at ½ (`sigma: half`): the pair (½, ½) shaped like σ's argument (which is consumed). */
function halves(like: JaxArray): [JaxArray, JaxArray] {
  const half = np.full(like.shape, 0.5);
  like.dispose();
  return [half.ref, half];
}

/** The recipe: Eq. 14 advantages of the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum), v_old always, v_ref unless the reference is the old policy. */
export const naspoRecipe: AlgorithmRecipe<NaspoConfig> = {
  name: "naspo",
  schema: naspoConfigSchema,
  loss: { inputs: "samples", run: naspoLoss },
  needs: (cfg) => ({ old: true, ref: cfg.reference === "cold-start" }),
  referenceIsOld: (cfg) => cfg.reference === "old-policy",
  signal: () => eq14Signal, // (14)
  oldDecay: (cfg) => cfg.decayType,
};
