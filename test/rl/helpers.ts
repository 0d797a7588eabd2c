/** Test helpers for the RL losses: seeded random data, array I/O, finite-difference gradient checks. */
import { expect } from "vitest";
import { jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { mulberry32 } from "../../src/runtime/mulberry32.js";

/** A small seeded uniform generator in [0, 1) (mulberry32). */
export const rng = mulberry32;

/** n standard normal draws (Box–Muller), as float32. */
export function normal(next: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next();
    const v = next();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

export function uniform(next: () => number, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
}

export function add(a: Float32Array, b: Float32Array, s = 1): Float32Array {
  return a.map((x, i) => x + s * (b[i] as number));
}

/** A fresh float32 array (each loss call consumes its inputs). */
export function arr(data: Float32Array | readonly number[], shape?: number[]): JaxArray {
  const f = Float32Array.from(data);
  return np.array(f, { shape: shape ?? [f.length] });
}

export async function values(x: JaxArray): Promise<Float32Array> {
  return Float32Array.from(await x.data());
}

export async function scalar(x: JaxArray): Promise<number> {
  return (await x.data())[0] as number;
}

/** Copy an array's values out without consuming it. */
export async function peek(x: JaxArray): Promise<Float32Array> {
  return values(x.ref);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    const tol = atol + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) throw new Error(`index ${i}: ${a} vs expected ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
  }
}

const EPS32 = 2 ** -24;

export interface FdOptions {
  /** Step of the central difference. */
  h: number;
  /** Relative allowance for the O(h²·L''') truncation error of non-quadratic losses. */
  rtol: number;
  seed?: number;
}

/**
 * Compare `grad(f)(x0)` with float32 central differences (f(x0 + h·u) − f(x0 − h·u)) / 2h along
 * (a) the normalised gradient, (b) 3 random unit directions and (c) the 4 coordinates with the
 * largest |gradient|. The tolerance is rtol·|⟨∇f, u⟩| (truncation) plus the float32 rounding of two
 * loss evaluations divided by 2h: 64·2⁻²⁴·max(|f(x0 ± h·u)|) / h (64 ulps covers the reductions
 * over the few hundred elements of these test tensors).
 */
export async function checkGradient(f: (x: JaxArray) => JaxArray, x0: Float32Array, shape: number[], opts: FdOptions): Promise<{ checked: number; maxRelErr: number }> {
  const grad = await values(jax.grad(f)(arr(x0, shape)));
  const next = rng(opts.seed ?? 7);
  const dirs: Float32Array[] = [];
  const gNorm = Math.hypot(...grad);
  expect(gNorm).toBeGreaterThan(0);
  dirs.push(grad.map((g) => g / gNorm));
  for (let k = 0; k < 3; k++) {
    const u = normal(next, x0.length);
    const n = Math.hypot(...u);
    dirs.push(u.map((x) => x / n));
  }
  const order = [...grad.keys()].sort((a, b) => Math.abs(grad[b] as number) - Math.abs(grad[a] as number));
  for (const i of order.slice(0, 4)) {
    const u = new Float32Array(x0.length);
    u[i] = 1;
    dirs.push(u);
  }
  let maxRelErr = 0;
  for (const u of dirs) {
    const plus = await scalar(f(arr(add(x0, u, opts.h), shape)));
    const minus = await scalar(f(arr(add(x0, u, -opts.h), shape)));
    const fd = (plus - minus) / (2 * opts.h);
    const ad = grad.reduce((s, g, i) => s + g * (u[i] as number), 0);
    const tol = opts.rtol * Math.abs(ad) + (64 * EPS32 * Math.max(Math.abs(plus), Math.abs(minus))) / opts.h;
    if (!(Math.abs(fd - ad) <= tol)) throw new Error(`finite difference ${fd} vs autodiff ${ad} (|diff| ${Math.abs(fd - ad)} > tol ${tol})`);
    maxRelErr = Math.max(maxRelErr, Math.abs(fd - ad) / Math.max(Math.abs(ad), 1e-12));
  }
  return { checked: dirs.length, maxRelErr };
}

/** Dispose of the side outputs a test did not read (reading with `scalar`/`values` consumes them). */
export function disposeAux(aux: Record<string, JaxArray | undefined>): void {
  for (const x of Object.values(aux)) if (x && x.refCount > 0) x.dispose();
}
