/**
 * Small array helpers shared by the RL losses. Every helper consumes its array arguments (jax-js move
 * semantics) and works the same eagerly, under `grad` and inside `jit`.
 *
 * Conventions: a batch of velocities is `[B, ...]` (the model gives `[B, N, P]`); `‖·‖²` is the mean
 * over every axis but the batch axis (DESIGN §4); per-sample quantities are `[B]`; a loss is reduced
 * with per-sample weights `w` as `Σ_i w_i·l_i`, so masked samples (w = 0) carry no gradient and the
 * trainer picks the normaliser (see `lossWeights` in advantages.ts).
 */
import { lax, np, type JaxArray } from "../runtime/jax.js";

/** `‖x‖²` per sample: the mean of x² over every axis but the first → `[B]`. */
export function sqNorm(x: JaxArray): JaxArray {
  return meanPerSample(np.square(x));
}

/** The mean over every axis but the first → `[B]`. */
export function meanPerSample(x: JaxArray): JaxArray {
  const axes = x.shape.map((_, i) => i).slice(1);
  return axes.length === 0 ? x : x.mean(axes);
}

/** Reshape a per-sample `[B]` array so that it broadcasts against `like` (`[B, 1, …, 1]`). */
export function perSample(s: JaxArray, like: readonly number[]): JaxArray {
  return s.reshape([like[0] ?? 1, ...like.slice(1).map(() => 1)]);
}

/** `Σ_i w_i·l_i`: the weighted reduction every loss ends with (a scalar). */
export function weightedSum(l: JaxArray, w: JaxArray): JaxArray {
  return l.mul(w).sum();
}

/**
 * `Σ_i w_i·x_i / Σ_i w_i`: a mean over the valid samples of a micro-batch; 0 when every weight is 0.
 */
export function weightedMean(x: JaxArray, w: JaxArray): JaxArray {
  const total = w.ref.sum();
  return x.mul(w).sum().div(np.maximum(total, 1e-30));
}

/** No gradient flows through the result. */
export function sg(x: JaxArray): JaxArray {
  return lax.stopGradient(x);
}

/** Dispose of the arrays a loss was given but its configuration does not use. */
export function disposeUnused(...xs: (JaxArray | undefined)[]): void {
  for (const x of xs) x?.dispose();
}

/**
 * `√(Σ_i w_i·(x_i − x̄)² / Σ_i w_i)` with `x̄` the weighted mean: the population std over the valid
 * samples of a micro-batch; 0 when every weight is 0.
 */
export function weightedStd(x: JaxArray, w: JaxArray): JaxArray {
  const centred = x.ref.sub(weightedMean(x, w.ref));
  return np.sqrt(weightedMean(np.square(centred), w));
}
