/**
 * Log-density of a diagonal Gaussian transition, reduced per sample.
 *   log N(x; μ, σ²) = −(x − μ)²/(2σ²) − log σ − ½·log(2π)      (per dimension)
 * "mean" averages over the non-batch dimensions, as Flow-GRPO does (its ratios are per-dimension
 * geometric means); "sum" is the joint log-density of the whole sample.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { meanPerSample, sumPerSample } from "./time.js";

export type LogProbReduction = "mean" | "sum";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Per-sample log N(x; mean, std²) → [B]. `std` broadcasts against `x` (a scalar or [B, 1, …]).
 * Consumes all three arrays. Traceable.
 */
export function gaussianLogProb(
  x: JaxArray,
  mean: JaxArray,
  std: JaxArray,
  reduction: LogProbReduction = "mean",
): JaxArray {
  const d = x.sub(mean);
  const z = d.div(std.ref);
  const logp = z.ref.mul(z).mul(-0.5).sub(np.log(std)).sub(HALF_LOG_2PI);
  return reduction === "mean" ? meanPerSample(logp) : sumPerSample(logp);
}
