/**
 * Joint scaled-dot-product attention over the whole sequence (no mask: FLUX attends to pad text
 * tokens too). Softmax without the max shift, exp(min(s, 80)) / Σ (jaxjs-performance.md §2.3: the
 * max-reduce has no SIMD path in jax-js 0.1.25). It equals softmax exactly while every logit is below
 * 80, which QK-RMSNorm makes all but certain (|s| ≤ √hd·‖w_q‖∞‖w_k‖∞); the clamp guards against
 * overflow if the learned norm scales grow, rather than being an exact equivalence.
 */
import { np, type JaxArray } from "../runtime/jax.js";

/** q, k, v: [B, T, H, hd] → [B, T, H·hd]. Consumes its arguments. */
export function attention(q: JaxArray, k: JaxArray, v: JaxArray): JaxArray {
  const [B, T, H, hd] = q.shape as [number, number, number, number];
  const qh = q.transpose([0, 2, 1, 3]); // [B, H, T, hd]
  const kt = k.transpose([0, 2, 3, 1]); // [B, H, hd, T]
  const vh = v.transpose([0, 2, 1, 3]); // [B, H, T, hd]
  const scores = np.matmul(qh, kt).mul(1 / Math.sqrt(hd));
  const e = np.exp(np.minimum(scores, 80));
  const probs = e.ref.div(e.sum(-1, { keepdims: true }));
  return np.matmul(probs, vh).transpose([0, 2, 1, 3]).reshape([B, T, H * hd]);
}
