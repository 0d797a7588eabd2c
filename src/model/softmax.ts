/**
 * Numerically safe softmax for the model's two attention-like places (joint attention, text-slot
 * pooling). The max is subtracted (without gradient: softmax does not depend on it), so the largest
 * term is exp(0) = 1: no overflow for large logits, and no 0/0 when every logit is very negative —
 * which the unshifted form `exp(min(s, 80)) / Σ` hit in its backward pass (a NaN gradient with a
 * finite loss, 683 steps into an SFT run of `small`).
 */
import { lax, np, type JaxArray } from "../runtime/jax.js";

/** softmax over `axis` of `s`. Consumes `s`. */
export function softmax(s: JaxArray, axis: number): JaxArray {
  const shift = lax.stopGradient(s.ref.max(axis, { keepdims: true }));
  const e = np.exp(s.sub(shift));
  return e.ref.div(e.sum(axis, { keepdims: true }));
}

/**
 * softmax over `axis` restricted to `mask` (1 = keep, 0 = drop; broadcast against `s`); a slice
 * with nothing kept gives all zeros. Consumes `s` and `mask`.
 */
export function maskedSoftmax(s: JaxArray, mask: JaxArray, axis: number): JaxArray {
  const kept = np.where(mask.ref.greater(0), s, -1e30);
  const shift = lax.stopGradient(kept.ref.max(axis, { keepdims: true }));
  const e = np.exp(kept.sub(shift)).mul(mask);
  const total = e.ref.sum(axis, { keepdims: true });
  const safe = np.where(total.ref.greater(0), total, 1);
  return e.div(safe);
}
