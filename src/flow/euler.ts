/**
 * Euler ODE sampler for rectified flow: x_{t'} = x_t + (t' − t)·v_θ(x_t, t), walking a time grid
 * from 1 (noise) to 0 (data). This is FLUX's `denoise` loop (`x += (t_prev − t)·pred`).
 */
import type { JaxArray } from "../runtime/jax.js";
import type { VelocityFn } from "./velocity.js";

/** One Euler step from `t` to `tNext`. Consumes `xt` and `v`. */
export function eulerStep(xt: JaxArray, v: JaxArray, t: number, tNext: number): JaxArray {
  return xt.add(v.mul(tNext - t));
}

/**
 * Integrates from `x1` (noise at grid[0] = 1) to the last grid time (0). Consumes `x1`.
 * Waits for each step to finish, so lazily queued work does not pile up across steps.
 */
export async function sampleEuler(velocity: VelocityFn, x1: JaxArray, grid: readonly number[]): Promise<JaxArray> {
  let x = x1;
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i] as number;
    const v = await velocity(x.ref, t);
    x = eulerStep(x, v, t, grid[i + 1] as number);
    await x.blockUntilReady();
  }
  return x;
}
