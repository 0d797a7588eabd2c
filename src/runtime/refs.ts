/**
 * Small helpers that keep jax-js's move semantics (every argument is consumed; `x.ref` keeps one
 * reference) in one place.
 */
import { np, type JaxArray } from "./jax.js";

/** Read an array to a host Float32Array, consuming it. */
export async function toFloat32(x: JaxArray): Promise<Float32Array> {
  const d = await x.data();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/** Read a host copy of `x` without consuming the caller's handle. */
export function peekFloat32(x: JaxArray): Promise<Float32Array> {
  return toFloat32(x.ref);
}

/** A float32 device array from host data. */
export function fromFloat32(data: Float32Array, shape: number[] = [data.length]): JaxArray {
  return np.array(data, { shape, dtype: np.float32 });
}
