/**
 * DPM-Solver++(2M) for rectified flow, in data-prediction form (Lu et al. 2022, "DPM-Solver++";
 * the `dpm2` solver DiffusionNFT / Edit-R1 roll out with, anchors-algorithms.md §1.8).
 *
 * With x_t = α_t·x0 + σ_t·ε, α_t = 1 − t, σ_t = t, λ_t = log(α_t/σ_t), and the data prediction
 *   x̂0 = x_t − t·v_θ(x_t, t),
 * one step from s to s' (h = λ_{s'} − λ_s) with the previous prediction m1 at s_prev:
 *   first order (DDIM):  x_{s'} = (σ_{s'}/σ_s)·x_s − α_{s'}·(e^{−h} − 1)·m0
 *   second order (2M):   … − ½·α_{s'}·(e^{−h} − 1)·D1,  D1 = (m0 − m1)/r,  r = h_prev/h
 * e^{−h} = s'(1 − s) / ((1 − s')·s) is computed in that form so that s = 1 and s' = 0 stay finite.
 * The first step (from t = 1, λ = −∞, so r = ∞ and D1 = 0) and the last step (to t = 0, h = ∞)
 * are first order, as in diffusers' `lower_order_final` and DiffusionNFT's solver.
 */
import type { JaxArray } from "../runtime/jax.js";
import type { VelocityFn } from "./velocity.js";

function lambda(t: number): number {
  return Math.log((1 - t) / t);
}

/** Data prediction x̂0 = x_t − t·v. Consumes both arrays. */
export function dataPrediction(xt: JaxArray, v: JaxArray, t: number): JaxArray {
  return xt.sub(v.mul(t));
}

/**
 * One DPM-Solver++(2M) step from `s` to `sNext`. `m0` is x̂0 at s; `prev` is x̂0 at `sPrev`
 * (or null for a first-order step). Consumes `xt`, `m0` and `prev`.
 */
export function dpm2mStep(
  xt: JaxArray,
  m0: JaxArray,
  prev: { m1: JaxArray; sPrev: number } | null,
  s: number,
  sNext: number,
): JaxArray {
  const expNegH = sNext === 0 ? 0 : (sNext * (1 - s)) / ((1 - sNext) * s);
  const c = (1 - sNext) * (1 - expNegH); // −α_{s'}·(e^{−h} − 1)
  const xFirst = xt.mul(sNext / s).add(m0.ref.mul(c));
  const secondOrder = prev !== null && prev.sPrev < 1 && sNext > 0;
  if (!secondOrder) {
    m0.dispose();
    prev?.m1.dispose();
    return xFirst;
  }
  const r = (lambda(s) - lambda(prev.sPrev)) / (lambda(sNext) - lambda(s));
  const d1 = m0.sub(prev.m1).mul(1 / r); // D1 = (m0 − m1)/r
  return xFirst.add(d1.mul(0.5 * c));
}

/** Integrates from `x1` at grid[0] = 1 to the last grid time, one awaited step at a time. Consumes `x1`. */
export async function sampleDpm2m(velocity: VelocityFn, x1: JaxArray, grid: readonly number[]): Promise<JaxArray> {
  let x = x1;
  let prev: { m1: JaxArray; sPrev: number } | null = null;
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = grid[i] as number;
    const m0 = dataPrediction(x.ref, await velocity(x.ref, s), s);
    const keep = m0.ref;
    x = dpm2mStep(x, m0, prev, s, grid[i + 1] as number);
    prev = { m1: keep, sPrev: s };
    await x.blockUntilReady();
  }
  prev?.m1.dispose();
  return x;
}
