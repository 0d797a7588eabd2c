/**
 * Seeded, deterministic random numbers on the host: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32. The whole state is four uint32 words plus an optional cached normal deviate, so a
 * resumed run continues the exact stream (`getState()` / `setState()` are JSON-serialisable).
 * jax-js keys for on-device sampling are derived from the stream with `jaxKey()`.
 */
import { random, type JaxArray } from "./jax.js";

export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class Rng {
  private s: [number, number, number, number];
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng seed must be an integer, got ${seed}`);
    const sm = splitmix32((seed >>> 0) ^ Math.floor(seed / 2 ** 32));
    this.s = [sm(), sm(), sm(), sm()];
    if (this.s.every((w) => w === 0)) this.s[0] = 1;
  }

  /** Next uint32 (xoshiro128**). */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; the second deviate is cached in the state). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int needs a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** `n` standard normals scaled by `std`, as float32. */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** `n` uniforms in [lo, hi), as float32. */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [p[i], p[j]] = [p[j]!, p[i]!];
    }
    return p;
  }

  /** An independent child generator (its seed is drawn from this stream). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11));
  }

  /** A jax-js PRNG key drawn from this stream (for on-device sampling inside jit). */
  jaxKey(): JaxArray {
    return random.key(this.nextUint32() >>> 1);
  }

  getState(): RngState {
    return { s: [...this.s], spare: this.spare };
  }

  setState(state: RngState): void {
    const ok =
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) &&
      (state.spare === null || Number.isFinite(state.spare));
    if (!ok) throw new RangeError("Rng.setState: not a state produced by getState()");
    this.s = [...state.s];
    this.spare = state.spare;
  }
}
