/**
 * DiffusionNFT (NVlabs/DiffusionNFT, `train_nft_sd3.py` L910–970; anchors-algorithms.md §1.2–1.7).
 *
 *   A      = clip(adv, −Amax, Amax);  r = ½ + ½·clip(A/Amax, −1, 1)          (§1.2, advantages.ts)
 *   v_pos  = β·v_θ + (1 − β)·v_old                                   implicit positive policy
 *   v_neg  = (1 + β)·v_old − β·v_θ                                   its reflection through v_old
 *   x0_±   = x_t − t·v_±   ⇒   x0_± − x0 = −t·(v_± − v)                (§1.3, v = x1 − x0)
 *   L_±    = ‖x0_± − x0‖² / sg(max(mean|x0_± − x0|, 1e-5))            self-normalised (x0 space)
 *          = ‖v_± − v‖²                                              (velocity space, paper form)
 *   policy = mean_batch( (r·L_pos + (1 − r)·L_neg) / β ) · Amax
 *   KL     = mean_batch ‖v_θ − v_ref‖²
 *   loss   = policy + klWeight·KL
 *
 * `nftKernel` is the loss with per-sample β⁺ (in v_pos) and β⁻ (in v_neg): NaSPO is this kernel with
 * β⁺ = σ(r − Q_old), β⁻ = σ(Q_old − r) (anchors-algorithms.md §4.6; see naspo.ts and its test).
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { z } from "zod";
import { nftSignal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import type { ForwardInputs, LossResult } from "./inputs.js";
import { disposeUnused, meanPerSample, perSample, sg, sqNorm, weightedMean, weightedSum } from "./ops.js";
import { decayTypeSchema } from "./ema.js";

/** The floor of the stop-gradient L1 weight in the x0-space loss (official `clamp_min(1e-5)`). */
export const X0_WEIGHT_FLOOR = 1e-5;

export const lossSpaceSchema = z.enum(["velocity", "x0"]);
export type LossSpace = z.infer<typeof lossSpaceSchema>;

export const diffusionNftConfigSchema = z.strictObject({
  /** NFT β (`config.beta`): mixing weight of v_θ in the implicit policies. */
  beta: z.number().positive().default(1),
  /** KL weight to the reference (`config.train.beta`). */
  klWeight: z.number().min(0).default(1e-4),
  /** Amax (`train.adv_clip_max`). */
  advClipMax: z.number().positive().default(5),
  space: lossSpaceSchema.default("x0"),
  /** Old-policy EMA schedule (ema.ts, §1.6). */
  decayType: decayTypeSchema.default(1),
});
export type DiffusionNftConfig = z.infer<typeof diffusionNftConfigSchema>;

/**
 * The per-sample squared error of one implicit policy, `d = v_± − v` `[B, …]`: `‖d‖²` in velocity
 * space; in x0 space `‖t·d‖² / w` with `w = sg(max(mean|t·d|, 1e-5))` unless `w` is given.
 * Returns the loss `[B]` and the weight used (x0 space only).
 */
export function branchError(d: JaxArray, t: JaxArray, space: LossSpace, w?: JaxArray): { loss: JaxArray; w?: JaxArray } {
  if (space === "velocity") {
    disposeUnused(t, w);
    return { loss: sqNorm(d) };
  }
  const e = d.mul(perSample(t, d.shape)); // x0_± − x0 = −t·(v_± − v); the sign drops out below
  const weight = w ?? sg(np.maximum(meanPerSample(np.abs(e.ref)), X0_WEIGHT_FLOOR));
  return { loss: sqNorm(e).div(weight.ref), w: weight };
}

export interface NftKernelInputs {
  vTheta: JaxArray;
  vOld: JaxArray;
  v: JaxArray;
  t: JaxArray;
  /** Optimality probability r `[B]`. */
  r: JaxArray;
  /** β of the positive branch, `[B]`. */
  betaPos: JaxArray;
  /** β of the negative branch, `[B]`. */
  betaNeg: JaxArray;
}

export interface X0Weights {
  wPos?: JaxArray;
  wNeg?: JaxArray;
}

/** Per-sample `r·L_pos + (1 − r)·L_neg` `[B]` with per-sample β⁺, β⁻; also the x0-space weights used. */
export function nftKernel(inp: NftKernelInputs, space: LossSpace, frozen: X0Weights = {}): { perSample: JaxArray } & X0Weights {
  const { vTheta, vOld, v, t, r, betaPos, betaNeg } = inp;
  const shape = vTheta.shape;
  const bp = perSample(betaPos, shape);
  const bn = perSample(betaNeg, shape);
  const vPos = bp.ref.mul(vTheta.ref).add(np.subtract(1, bp).mul(vOld.ref)); // v_pos = β·v_θ + (1 − β)·v_old
  const vNeg = np.add(1, bn.ref).mul(vOld.ref).sub(bn.mul(vTheta.ref)); // v_neg = (1 + β)·v_old − β·v_θ
  const pos = branchError(vPos.sub(v.ref), t.ref, space, frozen.wPos);
  const neg = branchError(vNeg.sub(v.ref), t.ref, space, frozen.wNeg);
  const per = r.ref.mul(pos.loss).add(np.subtract(1, r.ref).mul(neg.loss)); // r·L_pos + (1 − r)·L_neg
  disposeUnused(vTheta, vOld, v, t, r);
  return { perSample: per, wPos: pos.w, wNeg: neg.w };
}

export interface NftAux extends Record<string, JaxArray> {
  policy: JaxArray;
  kl: JaxArray;
  /** mean ‖v_θ − v_old‖² over the valid samples (the official `old_deviate`). */
  oldDeviate: JaxArray;
}

/** The official DiffusionNFT loss; `inputs.pref` is r. `vRef` is needed only when `klWeight > 0`. */
export function diffusionNftLoss(inputs: ForwardInputs, cfg: DiffusionNftConfig, frozen: X0Weights = {}): LossResult<NftAux & X0Weights> {
  const { vTheta, vOld, vRef, v, t, pref, weight } = inputs;
  const b = vTheta.shape[0] ?? 0;
  const beta = np.full([b], cfg.beta);
  const kernel = nftKernel(
    { vTheta: vTheta.ref, vOld: vOld.ref, v, t, r: pref, betaPos: beta.ref, betaNeg: beta },
    cfg.space,
    frozen,
  );
  const policy = weightedSum(kernel.perSample, weight.ref).mul(cfg.advClipMax / cfg.beta); // mean((…)/β)·Amax
  const oldDeviate = weightedMean(sqNorm(vTheta.ref.sub(vOld)), weight.ref);
  let loss = policy.ref;
  let kl = np.zeros([]);
  if (cfg.klWeight > 0) {
    if (!vRef) throw new Error("diffusionNftLoss: klWeight > 0 needs vRef");
    kl.dispose();
    kl = weightedSum(sqNorm(vTheta.ref.sub(vRef)), weight.ref); // KL = mean ‖v_θ − v_ref‖²
    loss = loss.add(kl.ref.mul(cfg.klWeight));
  } else {
    disposeUnused(vRef);
  }
  disposeUnused(vTheta, weight);
  const aux: NftAux & X0Weights = { policy, kl, oldDeviate };
  if (kernel.wPos) aux.wPos = kernel.wPos;
  if (kernel.wNeg) aux.wNeg = kernel.wNeg;
  return { loss, aux };
}

/**
 * The recipe: r = ½ + ½·clip(A/Amax) with A = the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum)
 * (the official code uses the raw sum; here it is the run's switch, the same for every method),
 * v_old always, v_ref for the KL term.
 */
export const diffusionNftRecipe: AlgorithmRecipe<DiffusionNftConfig> = {
  name: "diffusion-nft",
  schema: diffusionNftConfigSchema,
  loss: { inputs: "samples", run: diffusionNftLoss },
  needs: (cfg) => ({ old: true, ref: cfg.klWeight > 0 }),
  signal: (cfg) => nftSignal(cfg.advClipMax),
  oldDecay: (cfg) => cfg.decayType,
};
