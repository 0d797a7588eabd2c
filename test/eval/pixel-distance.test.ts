/**
 * Pixel distance to the exact target (issue 17): goldens computed by hand for constant images, the
 * figure region from the renderer's mask, and SSIM's identities (1 for equal images, symmetric).
 */
import { describe, expect, it } from "vitest";
import { figureMask, renderPortrait, type PortraitAttributes } from "../../src/data/index.js";
import { pixelScores, psnrOf } from "../../src/eval/metrics/pixel-distance.js";

const REF: PortraitAttributes = {
  skin: "tan", hairColor: "red", hairStyle: "bun", topColor: "blue", topPattern: "dots", trousers: "khaki", accessory: "glasses",
  background: "pink", rightArm: "down", leftArm: "down", head: "front", legs: "together", body: "front", shot: "full", position: "center",
};

const constant = (size: number, v: number): Float32Array => new Float32Array(size * size * 3).fill(v);

describe("pixel distance", () => {
  it("equal images: MSE 0, PSNR at its 100 dB ceiling, SSIM 1", () => {
    const a = renderPortrait(REF, 32);
    const s = pixelScores(a, a.slice(), 32, figureMask(REF, 32));
    expect(s).toEqual({ mse: 0, psnr: 100, ssim: 1, mse_figure: 0, psnr_figure: 100, ssim_figure: 1 });
  });

  it("constant images 0.5 vs 0.6: MSE 0.01, PSNR 20 dB, SSIM from the luminance term alone (by hand)", () => {
    const s = pixelScores(constant(16, 0.6), constant(16, 0.5), 16, null);
    expect(s.mse).toBeCloseTo(0.01, 7);
    expect(s.psnr).toBeCloseTo(20, 5);
    // 8-bit luma 153 and 128 (round(0.6·255), round(0.5·255)); no variance, so SSIM = (2μ1μ2 + C1)/(μ1² + μ2² + C1),
    // C1 = (0.01·255)² = 6.5025.
    const c1 = 6.5025;
    expect(s.ssim).toBeCloseTo((2 * 153 * 128 + c1) / (153 * 153 + 128 * 128 + c1), 6);
    expect(s.mse_figure).toBeNull();
    expect(s.ssim_figure).toBeNull();
  });

  it("the figure region ignores the background: repainting it leaves the figure distance at 0", () => {
    const size = 32;
    const target = renderPortrait(REF, size);
    const mask = figureMask(REF, size);
    const figurePixels = mask.reduce((a, b) => a + b, 0);
    expect(figurePixels).toBeGreaterThan(50);
    expect(figurePixels).toBeLessThan(size * size - 50);
    const generated = target.slice();
    for (let p = 0; p < size * size; p++) if (!mask[p]) generated.fill(0, p * 3, p * 3 + 3);
    const s = pixelScores(generated, target, size, mask);
    expect(s.mse_figure).toBe(0);
    expect(s.psnr_figure).toBe(100);
    expect(s.mse).toBeGreaterThan(0.01);
    // MSE over the image = MSE over the background pixels × their share.
    let bg = 0;
    for (let p = 0; p < size * size; p++) if (!mask[p]) for (let c = 0; c < 3; c++) bg += (target[p * 3 + c] ?? 0) ** 2;
    expect(s.mse).toBeCloseTo(bg / (size * size * 3), 9);
  });

  it("SSIM is symmetric and below 1 for different images", () => {
    const a = renderPortrait(REF, 32);
    const b = renderPortrait({ ...REF, head: "left", rightArm: "up" }, 32);
    const ab = pixelScores(a, b, 32, figureMask(REF, 32));
    const ba = pixelScores(b, a, 32, figureMask(REF, 32));
    expect(ab.ssim).toBeLessThan(1);
    expect(ab.ssim).toBeCloseTo(ba.ssim, 12);
    expect(ab.mse).toBeCloseTo(ba.mse, 12);
  });

  it("PSNR is 10·log10(1/MSE)", () => {
    expect(psnrOf(0.001)).toBeCloseTo(30, 10);
    expect(psnrOf(1)).toBe(0);
  });

  it("refuses images of the wrong size", () => {
    expect(() => pixelScores(constant(16, 0), constant(8, 0), 16, null)).toThrow(/16x16x3/);
  });
});
