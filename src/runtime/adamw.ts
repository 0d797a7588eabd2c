/**
 * AdamW (Loshchilov & Hutter, decoupled weight decay) on FLAT float32 vectors, with global
 * gradient-norm clipping, written as a pure traceable function so it fuses into the train-step jit
 * (jaxjs-performance.md §2.2: one flat vector per state, never a pytree).
 * Matches `torch.optim.AdamW` + `clip_grad_norm_`:
 *   g ← g · min(1, c / (‖g‖ + 1e-6))
 *   p ← p · (1 − lr·λ)
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 */
import { np, type JaxArray } from "./jax.js";

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global L2 norm the gradient is clipped to; `Infinity` (or ≤ 0) disables clipping. */
  clipNorm: number;
}

/** Host-side per-step scalars, packed as [lr, 1 − β1ᵗ, √(1 − β2ᵗ)] so changing them never recompiles. */
export function adamwStepScalars(hp: AdamWHyper, t: number, lr = hp.lr): Float32Array {
  return Float32Array.from([lr, 1 - hp.beta1 ** t, Math.sqrt(1 - hp.beta2 ** t)]);
}

/** ‖g‖₂ of a flat vector (does not consume `g`). */
export function globalNorm(g: JaxArray): JaxArray {
  return np.sqrt(np.sum(np.square(g.ref)));
}

/**
 * One AdamW update. Consumes every argument. `scalars` is `adamwStepScalars(...)` as a [3] array.
 * Returns [newParams, newM, newV, gradNorm (before clipping)].
 */
export function adamwUpdate(
  params: JaxArray,
  grad: JaxArray,
  m: JaxArray,
  v: JaxArray,
  scalars: JaxArray,
  hp: AdamWHyper,
): [JaxArray, JaxArray, JaxArray, JaxArray] {
  const [lr, bc1, sqrtBc2] = np.split(scalars, 3);
  const gnorm = globalNorm(grad);
  let g = grad;
  if (Number.isFinite(hp.clipNorm) && hp.clipNorm > 0) {
    const factor = np.minimum(1, np.divide(hp.clipNorm, gnorm.ref.add(1e-6)));
    g = g.mul(factor);
  }
  const newM = m.mul(hp.beta1).add(g.ref.mul(1 - hp.beta1));
  const newV = v.mul(hp.beta2).add(np.square(g).mul(1 - hp.beta2));
  const lrArr = lr!;
  const decayed = params.mul(np.subtract(1, lrArr.ref.mul(hp.weightDecay)));
  const denom = np.sqrt(newV.ref).div(sqrtBc2!).add(hp.eps);
  const stepSize = lrArr.div(bc1!);
  const newParams = decayed.sub(newM.ref.div(denom).mul(stepSize));
  return [newParams, newM, newV, gnorm];
}
