/**
 * Edit-R1's (UniWorld-V2) reward-server protocol (reward_server/reward_server.py, flow_grpo/rewards.py):
 * `POST /mode/<mode>` with a pickled `{"images": [JPEG bytes], "ref_images": [JPEG bytes], "prompts": [str],
 * "metadatas": [dict]}` → pickled `{"scores": [float]}`. Its client sends every prompt of the batch with
 * each chunk of images, so prompts pair with images by position and are cut to the images. The body is
 * parsed by the restricted unpickler: a pickle that reaches for a global is refused with a 400.
 */
import type { RewardItem } from "../reward/index.js";
import { RequestImages } from "./images.js";
import { PickleError, loadPickle, type PickleValue } from "./pickle-load.js";
import { RequestError } from "./request-error.js";

function list(d: Map<unknown, PickleValue>, key: string): PickleValue[] {
  const v = d.get(key);
  if (!Array.isArray(v)) throw new RequestError(400, `${key}: expected a list, got ${v === undefined ? "nothing" : v === null ? "None" : typeof v}`);
  return v;
}

export async function parseEditR1(body: Uint8Array): Promise<RewardItem[]> {
  let data: PickleValue;
  try {
    data = loadPickle(body);
  } catch (err) {
    if (err instanceof PickleError) throw new RequestError(400, err.message);
    throw err;
  }
  if (!(data instanceof Map)) throw new RequestError(400, "body: expected a pickled dict with images, ref_images and prompts");
  const images = list(data, "images");
  const refs = list(data, "ref_images");
  const prompts = list(data, "prompts");
  const n = images.length;
  if (n === 0) throw new RequestError(400, "images: empty list");
  if (refs.length !== n) throw new RequestError(400, `ref_images: ${refs.length} entries for ${n} images`);
  if (prompts.length < n) throw new RequestError(400, `prompts: ${prompts.length} entries for ${n} images`);
  const bytesAt = (xs: PickleValue[], key: string, i: number): Uint8Array => {
    const v = xs[i];
    if (!(v instanceof Uint8Array)) throw new RequestError(400, `${key}[${i}]: expected bytes`);
    return v;
  };
  const decoded = new RequestImages();
  return Promise.all(
    images.map(async (_, i) => {
      const p = prompts[i];
      if (typeof p !== "string") throw new RequestError(400, `prompts[${i}]: expected a str`);
      const [reference, generated] = await Promise.all([decoded.decode(bytesAt(refs, "ref_images", i), `ref_images[${i}]`), decoded.decode(bytesAt(images, "images", i), `images[${i}]`)]);
      return { groupKey: `sample-${i}`, reference, instruction: p, generated };
    }),
  );
}
