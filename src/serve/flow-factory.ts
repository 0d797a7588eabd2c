/**
 * Flow-Factory's remote reward protocol (rewards/my_reward_remote.py, reward_server/example_server.py):
 * `POST /compute` with JSON `{"prompt": [str], "image": [base64 PNG], "condition_images": [[base64 PNG]], …}`
 * → `{"rewards": [float]}` in input order. The example server's plural names (`prompts`, `images`) are read
 * too. The first condition image of a sample is its reference. A pointwise request is a chunk of samples,
 * each its own group; a groupwise request is one whole group of one prompt, where Eq. 12–13 belongs.
 */
import type { RewardItem } from "../reward/index.js";
import { RequestImages, decodeBase64 } from "./images.js";
import { RequestError } from "./request-error.js";

function field(body: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) if (body[n] !== undefined && body[n] !== null) return body[n];
  return undefined;
}

function listOf(value: unknown, name: string, n?: number): unknown[] {
  if (!Array.isArray(value)) throw new RequestError(400, `${name}: expected a list, got ${value === undefined ? "nothing" : typeof value}`);
  if (n !== undefined && value.length !== n) throw new RequestError(400, `${name}: ${value.length} entries for ${n} prompts`);
  return value;
}

export async function parseFlowFactory(body: unknown, groupwise: boolean): Promise<RewardItem[]> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RequestError(400, "body: expected a JSON object with prompt, image and condition_images");
  const b = body as Record<string, unknown>;
  const prompts = listOf(field(b, ["prompt", "prompts"]), "prompt");
  if (prompts.length === 0) throw new RequestError(400, "prompt: empty list");
  prompts.forEach((p, i) => {
    if (typeof p !== "string") throw new RequestError(400, `prompt[${i}]: expected a string`);
  });
  const n = prompts.length;
  const images = listOf(field(b, ["image", "images"]), "image", n);
  const rawConditions = field(b, ["condition_images"]);
  if (rawConditions === undefined) {
    throw new RequestError(400, "condition_images: missing; the judges compare each edit with its reference image, so list condition_images in the reward class's required_fields");
  }
  const conditions = listOf(rawConditions, "condition_images", n);
  if (groupwise) {
    const other = prompts.findIndex((p) => p !== prompts[0]);
    if (other >= 0) throw new RequestError(400, `prompt[${other}]: a groupwise request is one group of one prompt, but it differs from prompt[0]`);
  }
  const decoded = new RequestImages();
  return Promise.all(
    prompts.map(async (p, i) => {
      const refs = listOf(conditions[i], `condition_images[${i}]`);
      if (refs.length === 0) throw new RequestError(400, `condition_images[${i}]: empty; the first condition image is the reference`);
      const [reference, generated] = await Promise.all([
        decoded.decode(decodeBase64(refs[0], `condition_images[${i}][0]`), `condition_images[${i}][0]`),
        decoded.decode(decodeBase64(images[i], `image[${i}]`), `image[${i}]`),
      ]);
      return { groupKey: groupwise ? "group" : `sample-${i}`, reference, instruction: p as string, generated };
    }),
  );
}
