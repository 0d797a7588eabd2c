/** Images inlined into the report as base64 data URIs (the page must open with no network and no files). */
import { readFile } from "node:fs/promises";
import { UserError } from "../runtime/errors.js";

function mimeOf(b: Uint8Array): string | null {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "image/png";
  if (b[0] === 0xff && b[1] === 0xd8) return "image/jpeg";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return "image/gif";
  if (String.fromCharCode(...b.subarray(0, 4)) === "RIFF" && String.fromCharCode(...b.subarray(8, 12)) === "WEBP") return "image/webp";
  return null;
}

/** Reads image files once each and turns them into data URIs. */
export class ImageInliner {
  private readonly cache = new Map<string, Promise<string>>();

  /** `absPath` must already be checked to lie inside its folder; `where` names it in errors. */
  dataUri(absPath: string, where: string): Promise<string> {
    let p = this.cache.get(absPath);
    if (!p) {
      p = (async () => {
        let bytes: Buffer;
        try {
          bytes = await readFile(absPath);
        } catch {
          throw new UserError(`${where}: ${absPath} cannot be read`, 1);
        }
        const mime = mimeOf(bytes);
        if (!mime) throw new UserError(`${where}: ${absPath} is not a PNG, JPEG, GIF or WebP image`, 1);
        return `data:${mime};base64,${bytes.toString("base64")}`;
      })();
      this.cache.set(absPath, p);
    }
    return p;
  }
}
