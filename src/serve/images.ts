/**
 * Images as the trainers send them (PNG or JPEG bytes, base64 for JSON) → the PNG the judge sends on.
 * An opaque PNG is passed on as it came, after checking its header (format, size, the pixel limit) and that it
 * ends with its IEND chunk (a truncated upload): a full decode costs ~1 ms of CPU per image, most of the
 * service's own cost, and the judge server decodes it anyway (a corrupt one it refuses fails that judgement).
 * A JPEG or a PNG with alpha is decoded and re-encoded as an opaque PNG. Anything that cannot be read is a
 * 400 naming its field, before any judge request. Within a request, identical bytes (the reference that every
 * sample of a group repeats) are read once and shared, so the judge also encodes them once.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { Image } from "../reward/index.js";
import { RequestError } from "./request-error.js";

/** Most pixels one image may have (a 16-megapixel limit, as a guard against decompression bombs). */
const MAX_PIXELS = 4096 * 4096;

/** The last 12 bytes of a complete PNG: the empty IEND chunk (length 0, type, CRC). */
const IEND = Uint8Array.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const endsWithIend = (b: Uint8Array): boolean => b.length >= 12 && IEND.every((v, i) => b[b.length - 12 + i] === v);

async function decode(bytes: Uint8Array, where: string): Promise<Image> {
  try {
    const input = sharp(bytes, { limitInputPixels: MAX_PIXELS });
    const meta = await input.metadata();
    if (meta.format === "png" && !meta.hasAlpha) {
      if (!endsWithIend(bytes)) throw new Error("truncated: no IEND chunk at the end");
      return { kind: "png", bytes };
    }
    const png = await input.removeAlpha().png().toBuffer();
    return { kind: "png", bytes: new Uint8Array(png.buffer, png.byteOffset, png.length) };
  } catch (err) {
    throw new RequestError(400, `${where}: not a decodable image (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
}

/** Decodes the images of one request, each distinct content once. */
export class RequestImages {
  private readonly seen = new Map<string, Promise<Image>>();

  decode(bytes: Uint8Array, where: string): Promise<Image> {
    const key = createHash("sha256").update(bytes).digest("hex");
    let image = this.seen.get(key);
    if (!image) {
      image = decode(bytes, where);
      this.seen.set(key, image);
    }
    return image;
  }
}

/**
 * Strict base64 (an optional data-URI prefix allowed). Node's decoder skips characters outside the alphabet,
 * so a string with any is caught by its decoded length falling short of 3/4 of its length, less the padding.
 */
export function decodeBase64(text: unknown, where: string): Uint8Array {
  if (typeof text !== "string") throw new RequestError(400, `${where}: expected a base64 string, got ${text === null ? "null" : typeof text}`);
  const body = text.startsWith("data:") ? text.slice(text.indexOf(",") + 1) : text;
  const padding = body.endsWith("==") ? 2 : body.endsWith("=") ? 1 : 0;
  const bytes = Buffer.from(body, "base64");
  if (body.length === 0 || body.length % 4 !== 0 || bytes.length !== (body.length / 4) * 3 - padding) throw new RequestError(400, `${where}: not valid base64`);
  return bytes;
}
