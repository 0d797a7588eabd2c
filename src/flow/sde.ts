/**
 * Flow-SDE step with an exact Gaussian transition (Flow-GRPO, `sde_step_with_logprob`,
 * anchors-algorithms.md §2.1). Between s and s' (dt = s' − s < 0), with a = noise level:
 *   σ_s   = a·sqrt(s / (1 − s))          (at s = 1 the denominator uses s', the grid's next time,
 *                                         as Flow-GRPO uses sigma_max = sigmas[1])
 *   mean  = x·(1 + σ_s²/(2s)·dt) + v·(1 + σ_s²·(1 − s)/(2s))·dt
 *   x'    = mean + σ_s·sqrt(−dt)·ε,  ε ~ N(0, I)
 * i.e. Euler–Maruyama of the marginal-preserving SDE dx = [v + σ_t²/(2t)·(x + (1 − t)·v)]dt + σ_t dw.
 * With a = 0 the mean is the Euler ODE step and the transition is deterministic.
 * All functions are traceable (usable inside jit / grad) and consume their array arguments.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { gaussianLogProb, type LogProbReduction } from "./gaussian.js";
import { timeColumn, type Time } from "./time.js";

/** The Gaussian transition of one step: x' ~ N(mean, std²); `std` broadcasts against x. */
export interface Transition {
  mean: JaxArray;
  std: JaxArray;
}

/** Mean and std of the Flow-SDE transition from `t` to `tNext` given v_θ(x_t, t). */
export function flowSdeTransition(v: JaxArray, xt: JaxArray, t: Time, tNext: Time, noiseLevel: number): Transition {
  const s = timeColumn(t, xt.ndim);
  const sn = timeColumn(tNext, xt.ndim);
  const dt = sn.ref.sub(s.ref);
  const sDen = np.where(s.ref.equal(1), sn, s.ref); // boundary: s = 1 uses the next time
  const sigma = np.sqrt(s.ref.div(sDen.neg().add(1))).mul(noiseLevel); // σ_s = a·sqrt(s/(1 − s))
  const sig2Over2s = sigma.ref.mul(sigma.ref).div(s.ref.mul(2)); // σ_s²/(2s)
  const xCoef = sig2Over2s.ref.mul(dt.ref).add(1); // 1 + σ_s²/(2s)·dt
  const vCoef = sig2Over2s.mul(s.neg().add(1)).add(1).mul(dt.ref); // (1 + σ_s²(1 − s)/(2s))·dt
  const mean = xt.mul(xCoef).add(v.mul(vCoef));
  const std = sigma.mul(np.sqrt(dt.neg())); // σ_s·sqrt(−dt)
  return { mean, std };
}

/**
 * log p(xNext | xt) under the Flow-SDE step from `t` to `tNext` with velocity `vPred` → [B],
 * reduced over the non-batch dimensions by `reduction` (default "mean", as Flow-GRPO).
 * `t`/`tNext` are numbers or per-sample [B] arrays. Needs noiseLevel > 0 (else std = 0).
 * Pure and traceable, so an RL trainer can recompute it under new parameters inside jit.
 */
export function sdeStepLogProb(
  vPred: JaxArray,
  xt: JaxArray,
  xNext: JaxArray,
  t: Time,
  tNext: Time,
  noiseLevel: number,
  reduction: LogProbReduction = "mean",
): JaxArray {
  const { mean, std } = flowSdeTransition(vPred, xt, t, tNext, noiseLevel);
  return gaussianLogProb(xNext, mean, std, reduction);
}
