/**
 * Image ↔ token codec (pixel space, no VAE): patchify [B, H, W, C] in [0, 1] into
 * [B, N, p·p·C] in [−1, 1], row-major over the patch grid (token n = h·side + w, matching the RoPE
 * ids), each token ordered (py, px, c) within its patch. `tokensToImages` inverts it exactly
 * (up to float rounding of x·2 − 1 and (x + 1)/2) and clamps to [0, 1].
 */
import { UserError } from "../runtime/errors.js";
import { gridSide, tokenDim, type ModelConfig } from "./config.js";

function checkPixelSpace(c: ModelConfig): void {
  if (c.latentDownsample !== 1) throw new UserError(`preset ${c.preset} works in a VAE latent space (×${c.latentDownsample}); the pixel codec does not apply`);
}

export function imagesToTokens(pixels: Float32Array, batch: number, c: ModelConfig): Float32Array {
  checkPixelSpace(c);
  const S = c.imageSize;
  const C = c.latentChannels;
  const p = c.patchSize;
  const side = gridSide(c);
  const P = tokenDim(c);
  if (pixels.length !== batch * S * S * C) throw new UserError(`imagesToTokens: expected ${batch}×${S}×${S}×${C} values, got ${pixels.length}`, 1);
  const out = new Float32Array(batch * side * side * P);
  let o = 0;
  for (let b = 0; b < batch; b++)
    for (let gh = 0; gh < side; gh++)
      for (let gw = 0; gw < side; gw++)
        for (let py = 0; py < p; py++)
          for (let px = 0; px < p; px++) {
            const base = ((b * S + gh * p + py) * S + gw * p + px) * C;
            for (let ch = 0; ch < C; ch++) out[o++] = pixels[base + ch]! * 2 - 1;
          }
  return out;
}

export function tokensToImages(tokens: Float32Array, batch: number, c: ModelConfig): Float32Array {
  checkPixelSpace(c);
  const S = c.imageSize;
  const C = c.latentChannels;
  const p = c.patchSize;
  const side = gridSide(c);
  const P = tokenDim(c);
  if (tokens.length !== batch * side * side * P) throw new UserError(`tokensToImages: expected ${batch}×${side * side}×${P} values, got ${tokens.length}`, 1);
  const out = new Float32Array(batch * S * S * C);
  let o = 0;
  for (let b = 0; b < batch; b++)
    for (let gh = 0; gh < side; gh++)
      for (let gw = 0; gw < side; gw++)
        for (let py = 0; py < p; py++)
          for (let px = 0; px < p; px++) {
            const base = ((b * S + gh * p + py) * S + gw * p + px) * C;
            for (let ch = 0; ch < C; ch++) out[base + ch] = Math.min(1, Math.max(0, (tokens[o++]! + 1) / 2));
          }
  return out;
}
