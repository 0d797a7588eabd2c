/**
 * The recognizer's per-geometry statistics (see recognizer.ts): what a geometry contributes whatever the
 * image. Sharp (32 px, 2×2 samples per pixel): WᵀW, each pixel's slot when its 4 samples agree (−1 if
 * not) and the 4 sample labels, from which WᵀX follows in one pass. Blurred (LOW px, 4×4 samples per
 * pixel): the blurred coverage of the slots present and its WᵀW. Kept across calls in bounded LRU caches
 * (the RL loop scores many images of the same poses); results never depend on what is cached.
 */
import type { PortraitAttributes } from "./attributes.js";
import { NUM_SLOTS } from "./palette.js";
import { renderLabelsInto } from "./render.js";

export const WORK = 32;
export const SS = 2;
export const P = WORK * WORK;
export const S = NUM_SLOTS;
/** Blurred images are band-limited: their fits compare box-averaged LOW × LOW images (4×4 samples per pixel). */
export const LOW = 16;
export const LP = LOW * LOW;

export interface SharpGeometry {
  gram: Float64Array;
  pure: Int8Array;
  labels: Uint8Array;
}
export interface BlurredGeometry {
  gram: Float64Array;
  slots: Int32Array;
  bw: Float32Array;
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.map.set(k, v);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
}

const SHARP_CACHE = new Lru<SharpGeometry>(8192);
const BLUR_CACHE = new Lru<BlurredGeometry>(2048);
const LABEL = new Uint8Array(WORK * SS * WORK * SS);

export function sharpGeometry(p: PortraitAttributes, key: string): SharpGeometry {
  const hit = SHARP_CACHE.get(key);
  if (hit) return hit;
  renderLabelsInto(p, WORK, SS, LABEL);
  const n = WORK * SS;
  const gram = new Float64Array(S * S);
  const pure = new Int8Array(P);
  const labels = new Uint8Array(P * 4);
  for (let py = 0; py < WORK; py++) {
    for (let px = 0; px < WORK; px++) {
      const o = 2 * py * n + 2 * px;
      const q = py * WORK + px;
      const l = [LABEL[o] ?? 0, LABEL[o + 1] ?? 0, LABEL[o + n] ?? 0, LABEL[o + n + 1] ?? 0] as const;
      labels.set(l, q * 4);
      if (l[0] === l[1] && l[0] === l[2] && l[0] === l[3]) {
        pure[q] = l[0];
        gram[l[0] * S + l[0]] = (gram[l[0] * S + l[0]] ?? 0) + 1;
        continue;
      }
      pure[q] = -1;
      // SS = 2: w = Σᵢ e_lᵢ / 4, so wwᵀ = Σᵢⱼ e_lᵢ e_lⱼᵀ / 16.
      for (const li of l) for (const lj of l) gram[li * S + lj] = (gram[li * S + lj] ?? 0) + 1 / 16;
    }
  }
  const g = { gram, pure, labels };
  SHARP_CACHE.set(key, g);
  return g;
}

/** Coverage box-averaged to LOW px, blurred with `kernel` (clamped borders, via clampIndex), and its Gram matrix. */
export function blurredGeometry(p: PortraitAttributes, key: string, sigma: number, kernel: Float64Array, clamp: Int32Array): BlurredGeometry {
  const ckey = `${sigma}|${key}`;
  const hit = BLUR_CACHE.get(ckey);
  if (hit) return hit;
  renderLabelsInto(p, WORK, SS, LABEL);
  const n = WORK * SS;
  const present = new Int32Array(S).fill(-1);
  const slotList: number[] = [];
  for (let i = 0; i < LABEL.length; i++) {
    const l = LABEL[i] ?? 0;
    if (present[l] === -1) {
      present[l] = slotList.length;
      slotList.push(l);
    }
  }
  const m = slotList.length;
  const f = n / LOW;
  const inc = 1 / (f * f);
  const w = new Float64Array(LP * m);
  for (let Y = 0; Y < LOW; Y++) {
    for (let X = 0; X < LOW; X++) {
      const o = (Y * LOW + X) * m;
      for (let dy = 0; dy < f; dy++) {
        const row = (Y * f + dy) * n + X * f;
        for (let dx = 0; dx < f; dx++) {
          const k = o + (present[LABEL[row + dx] ?? 0] ?? 0);
          w[k] = (w[k] ?? 0) + inc;
        }
      }
    }
  }
  const taps = kernel.length;
  const tmp = new Float64Array(LP * m);
  const bw = new Float32Array(LP * m);
  for (let y = 0; y < LOW; y++) {
    for (let xq = 0; xq < LOW; xq++) {
      const o = (y * LOW + xq) * m;
      for (let t = 0; t < taps; t++) {
        const kt = kernel[t] ?? 0;
        const q = (y * LOW + (clamp[xq + t] ?? 0)) * m;
        for (let s = 0; s < m; s++) tmp[o + s] = (tmp[o + s] ?? 0) + kt * (w[q + s] ?? 0);
      }
    }
  }
  const acc = new Float64Array(LOW * m);
  for (let y = 0; y < LOW; y++) {
    acc.fill(0);
    for (let t = 0; t < taps; t++) {
      const kt = kernel[t] ?? 0;
      const srcRow = (clamp[y + t] ?? 0) * LOW * m;
      for (let i = 0; i < LOW * m; i++) acc[i] = (acc[i] ?? 0) + kt * (tmp[srcRow + i] ?? 0);
    }
    // Stored as float32 (tiny values dropped); WᵀW is computed from the stored values, so WᵀW and WᵀX agree exactly.
    for (let i = 0; i < LOW * m; i++) {
      const v = acc[i] ?? 0;
      bw[y * LOW * m + i] = v < 1e-9 ? 0 : v;
    }
  }
  const gram = new Float64Array(S * S);
  const nz = new Int32Array(m);
  for (let q = 0; q < LP; q++) {
    let c = 0;
    for (let i = 0; i < m; i++) if ((bw[q * m + i] ?? 0) !== 0) nz[c++] = i;
    for (let a = 0; a < c; a++) {
      const i = nz[a] ?? 0;
      const ws = bw[q * m + i] ?? 0;
      const row = (slotList[i] ?? 0) * S;
      for (let b = 0; b < c; b++) {
        const k = nz[b] ?? 0;
        const idx = row + (slotList[k] ?? 0);
        gram[idx] = (gram[idx] ?? 0) + ws * (bw[q * m + k] ?? 0);
      }
    }
  }
  const g = { gram, slots: Int32Array.from(slotList), bw };
  BLUR_CACHE.set(ckey, g);
  return g;
}
