/**
 * Small helpers that keep jax-js's move semantics (every argument is consumed; `x.ref` keeps one
 * reference) in one place.
 */
import { np, type JaxArray } from "./jax.js";

/** `n` owned handles to `x`, consuming `x` itself (n ≥ 1): `const [a, b] = uses(x, 2)`. */
export function uses(x: JaxArray, n: number): JaxArray[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`uses: n must be ≥ 1, got ${n}`);
  const out: JaxArray[] = [];
  for (let i = 0; i < n - 1; i++) out.push(x.ref);
  out.push(x);
  return out;
}

/** Read an array to a host Float32Array, consuming it. */
export async function toFloat32(x: JaxArray): Promise<Float32Array> {
  const d = await x.data();
  return d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
}

/** Read a host copy of `x` without consuming the caller's handle. */
export function peekFloat32(x: JaxArray): Promise<Float32Array> {
  return toFloat32(x.ref);
}

/** Read a scalar (or the first element) to a JS number, consuming the array. */
export async function toScalar(x: JaxArray): Promise<number> {
  const d = await x.data();
  const v = d[0];
  if (v === undefined) throw new RangeError("toScalar: empty array");
  return Number(v);
}

/** A float32 device array from host data. */
export function fromFloat32(data: Float32Array, shape: number[] = [data.length]): JaxArray {
  return np.array(data, { shape, dtype: np.float32 });
}

/** Release every array in the list (their handles must not be used afterwards). */
export function disposeAll(xs: Iterable<JaxArray | null | undefined>): void {
  for (const x of xs) x?.dispose();
}
