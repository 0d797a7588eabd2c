/**
 * A data distribution whose flow-matching velocity is known in closed form: independent dims,
 * x0_d ~ N(μ_d, s_d²), x1 ~ N(0, I), x_t = (1 − t)x0 + t·x1 (Eq. 1). Then
 *   m_t = (1 − t)μ,  var_t = (1 − t)²s² + t²,
 *   v*(x, t) = E[x1 − x0 | x_t = x] = −μ + (t − (1 − t)s²)/var_t · (x − m_t),
 * and the ODE flow map is x_t = (1 − t)μ + sqrt(var_t)·x1, so x0 = μ + s·x1 exactly.
 */
import { np, type JaxArray } from "../../src/runtime/jax.js";

export interface GaussianData {
  mu: number[];
  s: number[];
}

/** v*(x, t), synchronous (a `VelocityFn` the tests can also call directly). */
export function exactVelocity(data: GaussianData): (xt: JaxArray, t: number) => JaxArray {
  return (xt: JaxArray, t: number) => {
    const varT = data.s.map((s) => (1 - t) ** 2 * s * s + t * t);
    const gain = np.array(data.s.map((s, d) => (t - (1 - t) * s * s) / (varT[d] as number)));
    const mT = np.array(data.mu.map((m) => (1 - t) * m));
    const negMu = np.array(data.mu.map((m) => -m));
    return xt.sub(mT).mul(gain).add(negMu);
  };
}

/** The exact ODE solution at time tau from noise x1 (row-major [N, D] Float32Array). */
export function exactFlowMap(data: GaussianData, x1: Float32Array, tau: number): Float64Array {
  const dims = data.mu.length;
  const out = new Float64Array(x1.length);
  for (let i = 0; i < x1.length; i++) {
    const d = i % dims;
    const s = data.s[d] as number;
    out[i] = (1 - tau) * (data.mu[d] as number) + Math.sqrt((1 - tau) ** 2 * s * s + tau * tau) * (x1[i] as number);
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Per-column mean and (unbiased) variance of a row-major [N, D] buffer. */
export function columnStats(x: ArrayLike<number>, dims: number): { mean: number[]; variance: number[] } {
  const n = x.length / dims;
  const mean = Array<number>(dims).fill(0);
  const sq = Array<number>(dims).fill(0);
  for (let i = 0; i < x.length; i++) mean[i % dims]! += (x[i] as number) / n;
  for (let i = 0; i < x.length; i++) sq[i % dims]! += ((x[i] as number) - (mean[i % dims] as number)) ** 2;
  return { mean, variance: sq.map((v) => v / (n - 1)) };
}
