/**
 * The implicit reward of a velocity model against a reference (paper Eq. 8; Flow-DPO's form,
 * anchors-algorithms.md §4.2):
 *   (8) r(c, x_t) = −(β_t/2)·(‖v − v_pred‖² − ‖v − v_ref‖²)
 */
import type { JaxArray } from "../runtime/jax.js";
import { sqNorm } from "./ops.js";

/** Eq. 8 per sample `[B]`; consumes all arguments (`betaT` is `[B]`). */
export function implicitReward(vPred: JaxArray, vRef: JaxArray, v: JaxArray, betaT: JaxArray): JaxArray {
  const errPred = sqNorm(v.ref.sub(vPred)); // ‖v − v_pred‖²
  const errRef = sqNorm(v.sub(vRef)); // ‖v − v_ref‖²
  return betaT.mul(-0.5).mul(errPred.sub(errRef)); // (8)
}
