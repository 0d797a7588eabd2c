/**
 * Coefficients-Preserving Sampling (CPS, arXiv 2509.05952; Flow-GRPO `sde_type='cps'`,
 * anchors-algorithms.md §2.1). From s to s' with noise level a:
 *   std   = s'·sin(a·π/2)
 *   x̂0    = x − s·v,   ε̂ = x + (1 − s)·v
 *   mean  = (1 − s')·x̂0 + sqrt(s'² − std²)·ε̂
 *   x'    = mean + std·ε
 * The data and noise coefficients of x' stay (1 − s', s'), so no variance is injected in excess.
 * It is not marginal-preserving for a spread-out data distribution: the fresh-noise fraction
 * sin(aπ/2) does not shrink with the step, so every step replaces part of the noise by the
 * posterior mean (test/flow/sde.test.ts checks the coefficients on point-mass data; on a Gaussian
 * with variance 0.09, 50 CPS steps at a = 0.8 give variance ≈ 0.05, the Flow-SDE ≈ 0.09).
 * With a = 0 it is the Euler step; the last step (s' = 0) is deterministic (std = 0).
 * Flow-GRPO's CPS log-prob drops the 1/(2·std²) factor and the constants; here it is the exact
 * Gaussian log-density (same function as the Flow-SDE), so ratios are true policy ratios.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { gaussianLogProb, type LogProbReduction } from "./gaussian.js";
import type { Transition } from "./sde.js";
import { timeColumn, type Time } from "./time.js";

/** Mean and std of the CPS transition from `t` to `tNext` given v_θ(x_t, t). Consumes arrays. */
export function cpsTransition(v: JaxArray, xt: JaxArray, t: Time, tNext: Time, noiseLevel: number): Transition {
  const s = timeColumn(t, xt.ndim);
  const sn = timeColumn(tNext, xt.ndim);
  const std = sn.ref.mul(Math.sin((noiseLevel * Math.PI) / 2)); // std = s'·sin(aπ/2)
  const x0Hat = xt.ref.sub(v.ref.mul(s.ref)); // x̂0 = x − s·v
  const epsHat = xt.add(v.mul(s.neg().add(1))); // ε̂ = x + (1 − s)·v
  const epsCoef = np.sqrt(sn.ref.mul(sn.ref).sub(std.ref.mul(std.ref))); // sqrt(s'² − std²)
  const mean = x0Hat.mul(sn.neg().add(1)).add(epsHat.mul(epsCoef));
  return { mean, std };
}

/** log p(xNext | xt) under the CPS step → [B]; needs std > 0 (noiseLevel > 0 and tNext > 0). */
export function cpsStepLogProb(
  vPred: JaxArray,
  xt: JaxArray,
  xNext: JaxArray,
  t: Time,
  tNext: Time,
  noiseLevel: number,
  reduction: LogProbReduction = "mean",
): JaxArray {
  const { mean, std } = cpsTransition(vPred, xt, t, tNext, noiseLevel);
  return gaussianLogProb(xNext, mean, std, reduction);
}
