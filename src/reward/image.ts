/** Image conversions for the reward: RGB floats ↔ PNG bytes (through sharp) and content hashes. */
import { createHash } from "node:crypto";
import sharp, { type Sharp } from "sharp";
import type { Image } from "./types.js";

export function rgbImage(data: Float32Array, width: number, height: number): Image {
  if (data.length !== width * height * 3) throw new Error(`rgbImage: ${data.length} values for ${height}x${width}x3`);
  return { kind: "rgb", data, width, height };
}

function toBytes(data: Float32Array): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    out[i] = Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out;
}

/** Encodings already made, so a reference shared by a group (and by DP and PF) is encoded once. */
const encoded = new WeakMap<Image, Promise<Uint8Array>>();

/** PNG bytes of an image (an rgb image is quantised to 8 bits per channel). */
export function toPng(image: Image): Promise<Uint8Array> {
  if (image.kind === "png") return Promise.resolve(image.bytes);
  let png = encoded.get(image);
  if (!png) {
    png = encodePng(image);
    encoded.set(image, png);
  }
  return png;
}

async function encodePng(image: Extract<Image, { kind: "rgb" }>): Promise<Uint8Array> {
  const raw = toBytes(image.data);
  const png = await sharp(raw, { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

const upscaled = new WeakMap<Image, Map<number, Promise<Uint8Array>>>();

/**
 * PNG bytes with the shorter side at least `minSide`, enlarged by an integer factor with nearest-neighbour
 * sampling (so no detail is invented): vision LVLMs such as Qwen2-VL reject or distort images under 28–56
 * px, and the synthetic benchmark renders 32 px.
 */
export function toPngMinSide(image: Image, minSide: number): Promise<Uint8Array> {
  if (minSide <= 0) return toPng(image);
  let byMin = upscaled.get(image);
  if (!byMin) {
    byMin = new Map();
    upscaled.set(image, byMin);
  }
  let png = byMin.get(minSide);
  if (!png) {
    png = enlargedPng(image, minSide);
    byMin.set(minSide, png);
  }
  return png;
}

async function enlargedPng(image: Image, minSide: number): Promise<Uint8Array> {
  let w: number;
  let h: number;
  let input: Sharp;
  if (image.kind === "rgb") {
    [w, h] = [image.width, image.height];
    input = sharp(toBytes(image.data), { raw: { width: w, height: h, channels: 3 } });
  } else {
    const meta = await sharp(image.bytes).metadata();
    [w, h] = [meta.width ?? 0, meta.height ?? 0];
    input = sharp(image.bytes);
  }
  const side = Math.min(w, h);
  if (side === 0 || side >= minSide) return toPng(image);
  const f = Math.ceil(minSide / side);
  const out = await input.resize(w * f, h * f, { kernel: "nearest" }).png().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** RGB floats in [0, 1], [H, W, 3] row-major. */
export async function toRgb(image: Image): Promise<{ data: Float32Array; width: number; height: number }> {
  if (image.kind === "rgb") return image;
  const { data, info } = await sharp(image.bytes).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`toRgb: decoded ${info.channels} channels, expected 3`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) / 255;
  return { data: out, width: info.width, height: info.height };
}

export function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    const bytes = typeof p === "string" ? Buffer.from(p, "utf8") : p;
    h.update(String(bytes.length));
    h.update(":");
    h.update(bytes);
  }
  return h.digest("hex");
}
