/** Resampling of an image to the recognizer's working size (recognizer.ts). */
import { WORK } from "./recognizer-geometry.js";

/** Box-downsample a [size, size, 3] image to [to, to, 3] (size a multiple of to). */
export function boxDown(pixels: Float32Array, size: number, to: number): Float32Array {
  if (size === to) return pixels;
  const k = size / to;
  const out = new Float32Array(to * to * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (((y / k) | 0) * to + ((x / k) | 0)) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = (out[o + c] ?? 0) + (pixels[(y * size + x) * 3 + c] ?? 0) / (k * k);
    }
  }
  return out;
}

/** Nearest-neighbour upsample of a [size, size, 3] image to [to, to, 3] (to a multiple of size). */
function nearestUp(pixels: Float32Array, size: number, to: number): Float32Array {
  const k = to / size;
  const out = new Float32Array(to * to * 3);
  for (let y = 0; y < to; y++) {
    for (let x = 0; x < to; x++) {
      const i = (((y / k) | 0) * size + ((x / k) | 0)) * 3;
      out.set(pixels.subarray(i, i + 3), (y * to + x) * 3);
    }
  }
  return out;
}

/** The image at WORK px: box-downsampled from a multiple of WORK, or pixel-replicated up from a divisor of WORK. */
export function toWorkSize(pixels: Float32Array, size: number): Float32Array {
  if (pixels.length !== size * size * 3) throw new Error(`recognize: expected ${size * size * 3} values for ${size}x${size}x3, got ${pixels.length}`);
  if (size < WORK && WORK % size === 0) return nearestUp(pixels, size, WORK);
  if (size % WORK !== 0) throw new Error(`recognize: size ${size} is not a multiple or a divisor of ${WORK}`);
  return boxDown(pixels, size, WORK);
}

