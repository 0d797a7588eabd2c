/**
 * Image degradations for robustness checks of the recognizer (and anything judging generated images):
 * separable Gaussian blur (clamped borders) and additive Gaussian pixel noise, clamped to [0, 1].
 */
import type { Rng } from "./rng.js";

/** Gaussian blur of `channels` interleaved planes of a size×size image, kernel radius ceil(3σ). */
export function gaussianBlur(img: Float32Array, size: number, channels: number, sigma: number): Float32Array {
  if (sigma <= 0) return img.slice();
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] = (k[i] ?? 0) / sum;
  const tmp = new Float32Array(img.length);
  const out = new Float32Array(img.length);
  const clampI = (v: number): number => (v < 0 ? 0 : v >= size ? size - 1 : v);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += (k[i + r] ?? 0) * (img[(y * size + clampI(x + i)) * channels + c] ?? 0);
        tmp[(y * size + x) * channels + c] = acc;
      }
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let i = -r; i <= r; i++) acc += (k[i + r] ?? 0) * (tmp[(clampI(y + i) * size + x) * channels + c] ?? 0);
        out[(y * size + x) * channels + c] = acc;
      }
    }
  }
  return out;
}

/** Add N(0, std²) noise to every value and clamp to [0, 1]. */
export function addNoise(img: Float32Array, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = Math.min(1, Math.max(0, (img[i] ?? 0) + std * rng.normal()));
  return out;
}

/** The benchmark's standard degradation: blur σ = 1 px, then noise std 0.1. */
export function degrade(img: Float32Array, size: number, rng: Rng, blurSigma = 1, noiseStd = 0.1): Float32Array {
  return addNoise(gaussianBlur(img, size, 3, blurSigma), noiseStd, rng);
}
