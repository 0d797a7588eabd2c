/**
 * The forward (noising) process of rectified flow and its regression target (DESIGN §4):
 *   (1) x_t = (1 − t)·x0 + t·x1,   x1 ~ N(0, I)
 *   (2) v = x1 − x0,  loss ‖v − v_θ(x_t, t, c)‖² (mean over token dimensions)
 * All functions consume their array arguments.
 */
import type { JaxArray } from "../runtime/jax.js";
import { meanPerSample, sumPerSample, timeColumn, type Time } from "./time.js";

/** Eq. 1: `x_t = (1 − t)·x0 + t·x1`; `t` is one number or per-sample [B]. */
export function noisify(x0: JaxArray, x1: JaxArray, t: Time): JaxArray {
  const tc = timeColumn(t, x0.ndim);
  return x0.mul(tc.ref.neg().add(1)).add(x1.mul(tc)); // Eq. 1
}

/** Eq. 2: the velocity target `v = x1 − x0` (the time derivative of Eq. 1). */
export function velocityTarget(x0: JaxArray, x1: JaxArray): JaxArray {
  return x1.sub(x0); // Eq. 2
}

/** Eq. 2: per-sample flow-matching loss `‖v − v_θ‖²`, the mean over all non-batch axes → [B]. */
export function flowMatchingLossPerSample(vPred: JaxArray, vTarget: JaxArray): JaxArray {
  const d = vPred.sub(vTarget);
  return meanPerSample(d.ref.mul(d)); // Eq. 2
}

/**
 * Eq. 2 with a weight per element: `Σ w·(v − v_θ)² / Σ w` over all non-batch axes → [B]. With w ≡ 1 it is
 * `flowMatchingLossPerSample`; dividing by each sample's total weight keeps the loss on the same scale.
 */
export function weightedFlowMatchingLossPerSample(vPred: JaxArray, vTarget: JaxArray, w: JaxArray): JaxArray {
  const d = vPred.sub(vTarget);
  return sumPerSample(d.ref.mul(d).mul(w.ref)).div(sumPerSample(w)); // Eq. 2, weighted
}
