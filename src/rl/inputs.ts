/**
 * What the RL losses take. Everything is an array so that a loss can sit inside the trainer's
 * `jit(valueAndGrad(...))` around the model: `vTheta` (or `logp`) is what carries the gradient, the
 * rest are constants of the step. Every loss consumes all the arrays it is given.
 *
 * Shapes: velocities `[B, ...]` (the model's `[B, N, P]`), per-sample arrays `[B]`.
 * `v` is the flow-matching target velocity `x1 − x0` (Eq. 2) and `t` the time of `x_t` (Eq. 1).
 * `weight` are per-sample loss weights: 0 for a masked sample, otherwise the trainer's normaliser
 * (e.g. 1 / number of valid samples in the optimizer step), so a loss is `Σ_i weight_i · l_i`.
 */
import type { JaxArray } from "../runtime/jax.js";

/** One batch of samples for the forward-process losses (NaSPO, DiffusionNFT, UniWorld-V2). */
export interface ForwardInputs {
  /** v_θ(x_t, t, c): the current policy, with gradient. */
  vTheta: JaxArray;
  /** v_old(x_t, t, c): the old (sampling) policy, no gradient. */
  vOld: JaxArray;
  /** v_ref(x_t, t, c): the reference, when the loss needs it; when the reference is the old policy pass `vOld.ref`. */
  vRef?: JaxArray;
  /** Target velocity v = x1 − x0. */
  v: JaxArray;
  t: JaxArray;
  /** Probability that the sample is preferred: Eq. 14 `Adv` for NaSPO, `r` for DiffusionNFT. */
  pref: JaxArray;
  weight: JaxArray;
}

/** One side of a preference pair; both sides share t and the noise. */
export interface PairSide {
  vTheta: JaxArray;
  vRef: JaxArray;
  v: JaxArray;
}

/** A batch of (winner, loser) pairs for DSPO and Flow-DPO; `t` and `weight` are `[P]`. */
export interface PairInputs {
  winner: PairSide;
  loser: PairSide;
  t: JaxArray;
  weight: JaxArray;
}

/** A batch of unpaired, labelled samples for Diffusion-KTO; `label` is 1 (desirable) or 0. */
export interface LabelledInputs {
  vTheta: JaxArray;
  vRef: JaxArray;
  v: JaxArray;
  t: JaxArray;
  label: JaxArray;
  weight: JaxArray;
}

/** SDE-step transitions for Flow-GRPO: one row per (sample, trained step). */
export interface SdeInputs {
  /** log π_θ(x_{k+1} | x_k) averaged over dimensions, with gradient. */
  logp: JaxArray;
  /** The same log-prob recorded by the sampler (old policy). */
  logpOld: JaxArray;
  /** Raw group advantages (clipped inside the loss). */
  adv: JaxArray;
  weight: JaxArray;
  /**
   * For the KL term: the SDE step means under θ and under the reference, and the step std σ_t·√(−dt),
   * per row `[B]` or broadcastable against the means (the flow module's `Transition.std`).
   */
  kl?: { meanTheta: JaxArray; meanRef: JaxArray; std: JaxArray };
}

/** A scalar loss and named side outputs (metrics, and the stop-gradient values it used). */
export interface LossResult<A extends Record<string, JaxArray>> {
  loss: JaxArray;
  aux: A;
}
