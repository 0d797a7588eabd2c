/**
 * Image preprocessing for the embedding metrics, as the CHEESE protocol's encoders expect it
 * (anchors-evaluation §2.2): resize the shorter side (bicubic), centre-crop a square, scale to [0, 1],
 * normalise per channel with the model's mean/std; output CHW float32, ready for an NCHW encoder.
 * Sizes and rounding follow torchvision (`Resize(int)`: long side = int(size·long/short); `CenterCrop`:
 * offset = round((size − crop)/2), Python's half-to-even round). Bicubic is sharp's `cubic`
 * (Catmull-Rom, a = −0.5, PIL's BICUBIC kernel; both antialias when shrinking).
 */
import sharp, { type Sharp } from "sharp";
import type { Image } from "../../reward/types.js";

export interface PreprocessSpec {
  /** Target length of the shorter side after resizing. */
  resize_shortest: number;
  /** Side of the square centre crop (≤ resize_shortest). */
  crop: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  interpolation: "bicubic";
}

/** open_clip / OpenAI CLIP (ViT-bigG-14 included): 224 → crop 224, OpenAI CLIP mean/std. */
export const OPENCLIP_PREPROCESS: PreprocessSpec = {
  resize_shortest: 224,
  crop: 224,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  interpolation: "bicubic",
};

/** facebook/dinov2-small (BitImageProcessor): shortest edge 256 → crop 224, ImageNet mean/std. */
export const DINOV2_PREPROCESS: PreprocessSpec = {
  resize_shortest: 256,
  crop: 224,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  interpolation: "bicubic",
};

/** An image to embed: the reward's Image (encoded PNG bytes or RGB floats [H, W, 3] in [0, 1]) or a file path. */
export type ImageSource = Image | string;

/** A preprocessed image: CHW float32, 3 channels. */
export interface PixelTensor {
  data: Float32Array;
  channels: 3;
  height: number;
  width: number;
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Output size of torchvision `Resize(size)` for a w×h image: the shorter side becomes `size`. */
export function resizedSize(width: number, height: number, size: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.floor((size * height) / width) };
  return { width: Math.floor((size * width) / height), height: size };
}

/** Offsets of torchvision `CenterCrop(crop)` in a w×h image. */
export function centerCropOffset(width: number, height: number, crop: number): { left: number; top: number } {
  return { left: roundHalfEven((width - crop) / 2), top: roundHalfEven((height - crop) / 2) };
}

/** RGB floats are quantised to 8 bits first, as they would be in a saved PNG. */
function toSharp(src: ImageSource): Sharp {
  if (typeof src === "string") return sharp(src, { failOn: "error" });
  if (src.kind === "png") return sharp(src.bytes, { failOn: "error" });
  const { data, width, height } = src;
  if (data.length !== width * height * 3) throw new Error(`preprocess: ${data.length} values for ${width}x${height}x3`);
  const bytes = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, data[i] as number)) * 255);
  return sharp(bytes, { raw: { width, height, channels: 3 } });
}

export async function preprocessImage(src: ImageSource, spec: PreprocessSpec): Promise<PixelTensor> {
  if (spec.crop > spec.resize_shortest) throw new Error(`preprocess: crop ${spec.crop} larger than resize ${spec.resize_shortest}`);
  const decoded = await toSharp(src).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  const { width, height } = decoded.info;
  const size = resizedSize(width, height, spec.resize_shortest);
  const { left, top } = centerCropOffset(size.width, size.height, spec.crop);
  const { data, info } = await sharp(decoded.data, { raw: { width, height, channels: decoded.info.channels } })
    .resize(size.width, size.height, { fit: "fill", kernel: "cubic" })
    .extract({ left, top, width: spec.crop, height: spec.crop })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`preprocess: ${info.channels} channels after decoding, expected 3`);
  const plane = spec.crop * spec.crop;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = spec.mean[c] as number;
    const s = spec.std[c] as number;
    for (let p = 0; p < plane; p++) out[c * plane + p] = ((data[p * 3 + c] as number) / 255 - m) / s;
  }
  return { data: out, channels: 3, height: spec.crop, width: spec.crop };
}
