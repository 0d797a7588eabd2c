/**
 * Times in the flow module: `t ∈ [0, 1]`, t = 1 is pure noise, t = 0 is data (DESIGN §4).
 * A time is either one number shared by the whole batch or a per-sample array of shape [B].
 */
import { np, type JaxArray } from "../runtime/jax.js";

export type Time = number | JaxArray;

/**
 * `t` as an array that broadcasts against a batch of rank `ndim`: a number becomes a float32
 * scalar, a per-sample [B] array becomes [B, 1, …, 1]. Consumes `t` when it is an array.
 */
export function timeColumn(t: Time, ndim: number): JaxArray {
  if (typeof t === "number") return np.array(t);
  if (t.ndim === 0) return t;
  if (t.ndim !== 1) throw new Error(`a per-sample time must have shape [B], got [${t.shape.join(", ")}]`);
  const b = t.shape[0] ?? 0;
  return t.reshape([b, ...Array<number>(ndim - 1).fill(1)]);
}

/** The mean over every axis but the first (the batch axis) of `x`: [B, …] → [B]. Consumes `x`. */
export function meanPerSample(x: JaxArray): JaxArray {
  if (x.ndim <= 1) return x;
  return x.mean(Array.from({ length: x.ndim - 1 }, (_, i) => i + 1));
}

/** The sum over every axis but the first of `x`: [B, …] → [B]. Consumes `x`. */
export function sumPerSample(x: JaxArray): JaxArray {
  if (x.ndim <= 1) return x;
  return x.sum(Array.from({ length: x.ndim - 1 }, (_, i) => i + 1));
}
