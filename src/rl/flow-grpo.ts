/**
 * Flow-GRPO (yifan123/flow_grpo `scripts/train_sd3.py` L857–957; anchors-algorithms.md §2.2).
 * Rows are SDE transitions x_k → x_{k+1} recorded at rollout with their log-probs (src/flow).
 *
 *   A      = clip(adv, −Amax, Amax)                               Amax = 5
 *   ratio  = exp(log π_θ(x_{k+1}|x_k) − log π_old(x_{k+1}|x_k))
 *   policy = mean( max(−A·ratio, −A·clip(ratio, 1 − ε, 1 + ε)) )   ε = clip range, 1e-4
 *   KL     = mean( ‖μ_θ − μ_ref‖² / (2·std²) )                      closed-form Gaussian KL of one step,
 *            ‖·‖² the mean over dimensions, std the step's noise std σ_t·√(−dt) (as flow_grpo)
 *   loss   = policy + klWeight·KL
 *   logged: approx_kl = ½·mean (log π_θ − log π_old)², clip fraction = mean(|ratio − 1| > ε)
 *
 * Which recorded steps are trained (`trainedTimesteps`). The reference trainer trains
 * `num_train_timesteps = int(num_steps·timestep_fraction)` steps per sample (yifan123/flow_grpo
 * `scripts/train_flux_kontext.py` and `train_sd3.py` at 74db691, `for j in range(num_train_timesteps)`);
 * with its fraction 0.99 that is every step but the last, i.e. the whole trajectory. Its ancestor
 * ddpo-pytorch (`train.py`) and earlier flow_grpo `train_sd3.py` first permute the time axis
 * independently for each sample ("shuffle along time dimension independently for each sample",
 * `torch.randperm(num_timesteps)` per sample) and then take the first int(T·f), a uniform random subset;
 * DiffusionNFT draws its timesteps the same way (anchors-algorithms.md §1.5). Our presets train a
 * fraction well below 0.99 for CPU time (cpu: 0.34, 2 of 6 steps), where "the first ones" would be
 * only the two noisiest, so:
 *   "random" (default): per sample, a uniformly random subset of int(recorded·f) (≥ 1) of its recorded
 *            steps, drawn from the run's Rng (the epoch's, so a resumed run replays it bit for bit);
 *            at f = 0.99 every step but one, over the whole trajectory as the reference;
 *   "first":  the first int(recorded·f), the reference's loop taken literally.
 * With an SDE window (Flow-GRPO-Fast / MixGRPO: only the window's steps are sampled with noise and
 * recorded) every recorded step is trained, as `scripts/train_sd3_fast.py` (`num_train_timesteps =
 * sde_window_size`).
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { z } from "zod";
import type { Rng } from "../runtime/rng.js";
import { rawAdvantageSignal } from "./advantages.js";
import type { AlgorithmRecipe } from "./recipe.js";
import type { LossResult, SdeInputs } from "./inputs.js";
import { disposeUnused, meanPerSample, perSample, weightedMean, weightedSum } from "./ops.js";

export const flowGrpoConfigSchema = z.strictObject({
  /** ε of the clipped ratio (1e-4 in every flow_grpo config; 1e-5 with an SDE window). */
  clipRange: z.number().positive().default(1e-4),
  advClipMax: z.number().positive().default(5),
  /** KL weight to the reference (0 for FLUX / Kontext, 0.04 SD3 GenEval). */
  klWeight: z.number().min(0).default(0),
  /** SDE noise level a (σ_t = a·√(t/(1−t)); 0.9 for FLUX / Kontext). */
  noiseLevel: z.number().min(0).default(0.9),
  sdeType: z.enum(["flow", "cps"]).default("flow"),
  /** Number of consecutive SDE steps trained per rollout (0 = every step). */
  sdeWindowSize: z.number().int().min(0).default(0),
  /** Where the window may start, as fractions of the sampling steps. */
  sdeWindowRange: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0, 0.5]),
  /** Without a window: which int(recorded·timestepFraction) recorded steps a sample trains (see above). */
  trainedTimesteps: z.enum(["random", "first"]).default("random"),
});
export type FlowGrpoConfig = z.infer<typeof flowGrpoConfigSchema>;

export interface FlowGrpoAux extends Record<string, JaxArray> {
  policy: JaxArray;
  kl: JaxArray;
  /** Fraction of rows with |ratio − 1| > ε. */
  clipFrac: JaxArray;
  /** ½·mean (log π_θ − log π_old)². */
  approxKl: JaxArray;
  ratioMean: JaxArray;
}

export function flowGrpoLoss(inputs: SdeInputs, cfg: FlowGrpoConfig): LossResult<FlowGrpoAux> {
  const { logp, logpOld, adv, weight, kl: klIn } = inputs;
  const eps = cfg.clipRange;
  const a = np.clip(adv, -cfg.advClipMax, cfg.advClipMax);
  const logRatio = logp.sub(logpOld);
  const ratio = np.exp(logRatio.ref);
  const unclipped = a.ref.neg().mul(ratio.ref); // −A·ratio
  const clipped = a.neg().mul(np.clip(ratio.ref, 1 - eps, 1 + eps)); // −A·clip(ratio, 1 − ε, 1 + ε)
  const policy = weightedSum(np.maximum(unclipped, clipped), weight.ref);
  const clipFrac = weightedMean(np.greater(np.abs(ratio.ref.sub(1)), eps).astype(np.float32), weight.ref);
  const approxKl = weightedMean(np.square(logRatio).mul(0.5), weight.ref);
  const ratioMean = weightedMean(ratio, weight.ref);
  let loss = policy.ref;
  let kl: JaxArray;
  if (cfg.klWeight > 0) {
    if (!klIn) throw new Error("flowGrpoLoss: klWeight > 0 needs the step means under θ and the reference");
    const { meanTheta, meanRef, std } = klIn;
    const s = std.ndim === 1 ? perSample(std, meanTheta.shape) : std;
    kl = weightedSum(meanPerSample(np.square(meanTheta.sub(meanRef)).div(np.square(s).mul(2))), weight.ref);
    loss = loss.add(kl.ref.mul(cfg.klWeight));
  } else {
    if (klIn) disposeUnused(klIn.meanTheta, klIn.meanRef, klIn.std);
    kl = np.zeros([]);
  }
  weight.dispose();
  return { loss, aux: { policy, kl, clipFrac, approxKl, ratioMean } };
}

/** Flow-GRPO-Fast: a window of `size` SDE steps starting uniformly inside `sdeWindowRange`. */
function sdeWindow(c: FlowGrpoConfig, steps: number, rng: Rng): { start: number; size: number } {
  const size = Math.min(c.sdeWindowSize, steps);
  const lo = Math.floor(c.sdeWindowRange[0] * steps);
  const hi = Math.max(lo, Math.min(Math.floor(c.sdeWindowRange[1] * steps), steps - size));
  return { start: lo + rng.int(hi - lo + 1), size };
}

/** The indices of a sample's recorded steps that are trained, ascending (see the header). */
function trainedSteps(c: FlowGrpoConfig, recorded: number, fraction: number, rng: Rng): number[] {
  if (c.sdeWindowSize > 0) return Array.from({ length: recorded }, (_, j) => j);
  const k = Math.max(1, Math.floor(recorded * fraction));
  if (c.trainedTimesteps === "first") return Array.from({ length: Math.min(k, recorded) }, (_, j) => j);
  return rng.permutation(recorded).slice(0, k).sort((a, b) => a - b);
}

/** The recipe: SDE rollouts from θ with their log-probs, the advantage A = the run's combined reward s (reward.recipe: Eq. 12–13 by default, or the raw sum), v_ref for the KL term. */
export const flowGrpoRecipe: AlgorithmRecipe<FlowGrpoConfig> = {
  name: "flow-grpo",
  schema: flowGrpoConfigSchema,
  loss: { inputs: "sde-steps", run: flowGrpoLoss },
  needs: (cfg) => ({ old: false, ref: cfg.klWeight > 0 }),
  signal: () => rawAdvantageSignal,
  rollout: (cfg) => ({
    kind: "sde",
    sampler: cfg.sdeType === "flow" ? "flow-sde" : "cps",
    noiseLevel: cfg.noiseLevel,
    window: (steps, rng) => (cfg.sdeWindowSize > 0 ? sdeWindow(cfg, steps, rng) : undefined),
    trainedSteps: (recorded, fraction, rng) => trainedSteps(cfg, recorded, fraction, rng),
  }),
};
