/**
 * Images as the trainers send them (PNG or JPEG bytes, base64 for JSON) → the PNG the judge sends on.
 * Every image is decoded once here, so a corrupt one is refused with a 400 naming its field, before any
 * judge request; the re-encoding is deterministic, so the judge's content-hash cache still hits.
 */
import sharp from "sharp";
import type { Image } from "../reward/index.js";
import { RequestError } from "./request-error.js";

/** Most pixels one image may have (a 16-megapixel limit, as a guard against decompression bombs). */
const MAX_PIXELS = 4096 * 4096;

export async function decodeImage(bytes: Uint8Array, where: string): Promise<Image> {
  try {
    const png = await sharp(bytes, { limitInputPixels: MAX_PIXELS }).removeAlpha().png().toBuffer();
    return { kind: "png", bytes: new Uint8Array(png.buffer, png.byteOffset, png.length) };
  } catch (err) {
    throw new RequestError(400, `${where}: not a decodable image (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64(text: unknown, where: string): Uint8Array {
  if (typeof text !== "string") throw new RequestError(400, `${where}: expected a base64 string, got ${text === null ? "null" : typeof text}`);
  const body = text.replace(/^data:image\/[a-z]+;base64,/, "");
  if (body.length === 0 || body.length % 4 !== 0 || !BASE64.test(body)) throw new RequestError(400, `${where}: not valid base64`);
  return Buffer.from(body, "base64");
}
