/**
 * Images in and out, through `sharp`. In memory an image is a Float32Array [size, size, 3], RGB in [0, 1],
 * row-major. PNGs are written with fixed encoder settings and no metadata, so equal pixels give equal bytes.
 */
import sharp, { type Metadata } from "sharp";
import { UserError } from "../runtime/errors.js";
import { writeFileAtomic } from "../runtime/atomic.js";

export interface ReadImageOptions {
  /** What to do when the file is not size×size: "warn" resizes (Lanczos, centre crop) and warns once, "refuse" throws. */
  resize?: "warn" | "refuse";
}

const warned = new Set<string>();

/** Decode any image sharp reads (alpha flattened on white) to [size, size, 3] floats in [0, 1]. */
export async function readImage(path: string, size: number, opts: ReadImageOptions = {}): Promise<Float32Array> {
  let img = sharp(path, { failOn: "error" }).flatten({ background: "#ffffff" }).removeAlpha().toColourspace("srgb");
  let meta: Metadata;
  try {
    meta = await sharp(path).metadata();
  } catch (err) {
    throw new UserError(`${path}: not a readable image (${err instanceof Error ? err.message : String(err)})`, 1);
  }
  if (meta.width !== size || meta.height !== size) {
    const what = `${meta.width ?? "?"}x${meta.height ?? "?"} → ${size}x${size}`;
    if (opts.resize === "refuse") throw new UserError(`${path}: image is ${meta.width}x${meta.height}, expected ${size}x${size}`, 1);
    if (!warned.has(what)) {
      warned.add(what);
      process.stderr.write(`portraitrl: warning: resizing images ${what} (first: ${path})\n`);
    }
    img = img.resize(size, size, { fit: "cover", kernel: "lanczos3" });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new UserError(`${path}: expected 3 colour channels after decoding, got ${info.channels}`, 1);
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = (data[i] ?? 0) / 255;
  return out;
}

/** Quantise [size, size, 3] floats (clamped to [0, 1]) to 8-bit RGB. */
export function toBytes(pixels: Float32Array, size: number): Buffer {
  const n = size * size * 3;
  if (pixels.length !== n) throw new Error(`toBytes: expected ${n} values for ${size}x${size}x3, got ${pixels.length}`);
  const buf = Buffer.alloc(n);
  for (let i = 0; i < n; i++) buf[i] = Math.round(Math.min(1, Math.max(0, pixels[i] ?? 0)) * 255);
  return buf;
}

/** Encode to PNG bytes, deterministically (fixed zlib level, no adaptive filtering, no metadata). */
export async function encodePng(pixels: Float32Array, size: number): Promise<Buffer> {
  return encodePngBytes(toBytes(pixels, size), size, size);
}

export async function encodePngBytes(rgb: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false })
    .toBuffer();
}

/** Write a PNG atomically (temporary file, then rename). */
export async function writePng(path: string, pixels: Float32Array, size: number): Promise<void> {
  const png = await encodePng(pixels, size);
  await writeFileAtomic(path, png, { fsync: false });
}
