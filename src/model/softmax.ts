/**
 * Numerically safe softmax for the model's two attention-like places (joint attention, text-slot
 * pooling). The max is subtracted (without gradient: softmax does not depend on it), so the largest
 * term is exp(0) = 1: no overflow for large logits, and no 0/0 when every logit is very negative —
 * which the unshifted form `exp(min(s, 80)) / Σ` hit in its backward pass (a NaN gradient with a
 * finite loss, 683 steps into an SFT run of `small`).
 *
 * The max over the last axis is taken in two passes, over [..., n/4, 4] along n/4 and then over the
 * 4: jax-js 0.1.25's wasm codegen has no SIMD path for a Max-reduction along the contiguous axis
 * (about 26× slower than a sum, jaxjs-performance.md §2.3), but it vectorises the first pass (four
 * contiguous lanes, reduced along a strided axis). Max is exact, so the shift, and every result,
 * are bit for bit those of the one-pass max.
 */
import { lax, np, type JaxArray } from "../runtime/jax.js";

/** max over `axis`, keeping it as size 1. Consumes `s`. */
export function maxKeepdims(s: JaxArray, axis: number): JaxArray {
  const last = s.ndim - 1;
  const n = s.shape[last]!;
  if ((axis !== -1 && axis !== last) || n % 4 !== 0 || n === 4) return s.max(axis, { keepdims: true });
  const lanes = s.reshape([...s.shape.slice(0, -1), n / 4, 4]).max(-2); // [..., 4]
  return lanes.max(-1, { keepdims: true });
}

/** softmax over `axis` of `s`. Consumes `s`. */
export function softmax(s: JaxArray, axis: number): JaxArray {
  const shift = lax.stopGradient(maxKeepdims(s.ref, axis));
  const e = np.exp(s.sub(shift));
  return e.ref.div(e.sum(axis, { keepdims: true }));
}

/**
 * softmax over `axis` restricted to `mask` (1 = keep, 0 = drop; broadcast against `s`); a slice
 * with nothing kept gives all zeros. Consumes `s` and `mask`.
 */
export function maskedSoftmax(s: JaxArray, mask: JaxArray, axis: number): JaxArray {
  const kept = np.where(mask.ref.greater(0), s, -1e30);
  const shift = lax.stopGradient(maxKeepdims(kept.ref, axis));
  const e = np.exp(kept.sub(shift)).mul(mask);
  const total = e.ref.sum(axis, { keepdims: true });
  const safe = np.where(total.ref.greater(0), total, 1);
  return e.div(safe);
}
