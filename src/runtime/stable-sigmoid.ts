/**
 * The logistic sigmoid with a gradient that stays finite. jax-js 0.1.25 differentiates `nn.sigmoid`
 * as 1/(1 + exp(−z)), so for z < −88 exp overflows and the gradient is 0·∞ = NaN while the value is
 * still fine (a NaN gradient with a finite loss: the GELU of the `small` model hit it 683 steps into
 * SFT). Clamping z at −80 changes the value by less than σ(−80) ≈ 1.8e−35 and makes the gradient 0
 * there instead of ≈ 1.8e−35.
 */
import { nn, np, type JaxArray } from "./jax.js";

export const SIGMOID_FLOOR = -80;

/** σ(z), traceable; consumes `z`. */
export function sigmoid(z: JaxArray): JaxArray {
  return nn.sigmoid(np.maximum(z, SIGMOID_FLOOR));
}

/** Below this, log σ(z) = z − log(1 + e^z) is z to within e^z < 1e−13. */
const LOG_SIGMOID_LINEAR_BELOW = -30;

/**
 * log σ(z) with a finite gradient everywhere (`nn.logSigmoid` gives NaN below ≈ −88): the exact
 * −log(1 + e^−z) where that is safe, z itself below −30. The safe branch is fed a harmless input
 * where it is not selected, so its unused gradient is 0 rather than 0·∞. Consumes `z`.
 */
export function logSigmoid(z: JaxArray): JaxArray {
  const linear = z.ref.less(LOG_SIGMOID_LINEAR_BELOW);
  const safe = np.where(linear.ref, 0, z.ref);
  const exact = np.log(np.exp(safe.neg()).add(1)).neg();
  return np.where(linear, z, exact);
}
