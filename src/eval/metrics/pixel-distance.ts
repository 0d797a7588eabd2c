/**
 * Distance to the exact target image in pixel space (DESIGN §6): the metric family that shares no code
 * with any reward — no recognizer, no judge, no embedder. Per image, on RGB in [0, 1]:
 * - MSE, the mean over pixels and channels of (generated − target)²;
 * - PSNR = 10·log10(1 / MSE) in dB, with MSE floored at 1e-10 (an exact copy reads 100 dB);
 * - SSIM (Wang et al. 2004: 11×11 Gaussian window, σ 1.5, k1 0.01, k2 0.03, on 8-bit luma), from
 *   `ssim.js`'s port of the reference MATLAB code;
 * and the same three over the figure region only (the target's person mask, data/render.ts `figureMask`):
 * MSE and PSNR over the figure's pixels, SSIM as the mean of the SSIM map over the windows centred on
 * the figure. A figure-region value is null without a mask (a record without attributes) or when it is empty.
 */
import { ssim } from "ssim.js";

export interface PixelScores {
  mse: number;
  psnr: number;
  ssim: number;
  mse_figure: number | null;
  psnr_figure: number | null;
  ssim_figure: number | null;
}

/** A record without a target image has no pixel distance. */
export const NO_PIXEL_SCORES: { [K in keyof PixelScores]: null } = {
  mse: null, psnr: null, ssim: null, mse_figure: null, psnr_figure: null, ssim_figure: null,
};

const MSE_FLOOR = 1e-10;
const SSIM_WINDOW = 11;

export const psnrOf = (mse: number): number => 10 * Math.log10(1 / Math.max(mse, MSE_FLOOR));

/** 8-bit RGBA pixels of a [size, size, 3] float image (what a PNG of it holds). */
function toRgba8(img: Float32Array, size: number): { data: Uint8ClampedArray; width: number; height: number } {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = Math.round((img[p * 3 + c] ?? 0) * 255);
    data[p * 4 + 3] = 255;
  }
  return { data, width: size, height: size };
}

/** Mean squared error over the pixels where `mask` is 1 (every pixel without a mask); null if none. */
function maskedMse(a: Float32Array, b: Float32Array, size: number, mask: Uint8Array | null): number | null {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < size * size; p++) {
    if (mask && !mask[p]) continue;
    for (let c = 0; c < 3; c++) {
      const d = (a[p * 3 + c] ?? 0) - (b[p * 3 + c] ?? 0);
      sum += d * d;
    }
    n += 3;
  }
  return n > 0 ? sum / n : null;
}

/** The SSIM map (one value per valid window) and its mean over the windows centred where `mask` is 1. */
function ssimScores(generated: Float32Array, target: Float32Array, size: number, mask: Uint8Array | null): { whole: number; figure: number | null } {
  const window = Math.min(SSIM_WINDOW, size % 2 === 1 ? size : size - 1);
  const r = ssim(toRgba8(generated, size), toRgba8(target, size), {
    ssim: "original", windowSize: window, downsample: false, rgb2grayVersion: "original",
  });
  if (!mask) return { whole: r.mssim, figure: null };
  const half = (window - 1) / 2;
  const m = r.ssim_map;
  let sum = 0;
  let n = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (!mask[(y + half) * size + (x + half)]) continue;
      sum += m.data[y * m.width + x] ?? 0;
      n++;
    }
  }
  return { whole: r.mssim, figure: n > 0 ? sum / n : null };
}

/** Pixel-space distance of one generated image to its exact target; both [size, size, 3] in [0, 1]. */
export function pixelScores(generated: Float32Array, target: Float32Array, size: number, figure: Uint8Array | null): PixelScores {
  if (generated.length !== size * size * 3 || target.length !== size * size * 3 || (figure && figure.length !== size * size)) {
    throw new Error(`pixelScores: expected ${size}x${size}x3 images and a ${size}x${size} mask`);
  }
  const mse = maskedMse(generated, target, size, null) as number;
  const mseFigure = figure ? maskedMse(generated, target, size, figure) : null;
  const s = ssimScores(generated, target, size, figure);
  return {
    mse, psnr: psnrOf(mse), ssim: s.whole,
    mse_figure: mseFigure, psnr_figure: mseFigure === null ? null : psnrOf(mseFigure), ssim_figure: s.figure,
  };
}
