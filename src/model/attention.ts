/**
 * Joint scaled-dot-product attention over the whole sequence (no mask: FLUX attends to pad text
 * tokens too), with the max-shifted softmax of `softmax.ts`.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { softmax } from "./softmax.js";

/** q, k, v: [B, T, H, hd] → [B, T, H·hd]. Consumes its arguments. */
export function attention(q: JaxArray, k: JaxArray, v: JaxArray): JaxArray {
  const [B, T, H, hd] = q.shape as [number, number, number, number];
  const qh = q.transpose([0, 2, 1, 3]); // [B, H, T, hd]
  const kt = k.transpose([0, 2, 3, 1]); // [B, H, hd, T]
  const vh = v.transpose([0, 2, 1, 3]); // [B, H, T, hd]
  const scores = np.matmul(qh, kt).mul(1 / Math.sqrt(hd));
  const probs = softmax(scores, -1);
  return np.matmul(probs, vh).transpose([0, 2, 1, 3]).reshape([B, T, H * hd]);
}
