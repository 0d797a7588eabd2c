/**
 * SFT examples: every (reference, instruction, target) triplet of the train split decoded once into
 * model tokens. Records without a target are refused (SFT regresses onto the target), before any
 * image is read.
 */
import { readImage, type DatasetRecord } from "../data/index.js";
import { imagesToTokens, tokenize, tokensPerImage, tokenDim, type ModelConfig } from "../model/index.js";
import { UserError } from "../runtime/errors.js";

export interface SftExamples {
  count: number;
  /** Reference tokens, [count, N, P] row-major. */
  ref: Float32Array;
  /** Target tokens (x0), [count, N, P]. */
  target: Float32Array;
  /** Word ids, [count, textMaxWords]. */
  text: Int32Array;
}

export async function prepareExamples(
  records: readonly DatasetRecord[],
  config: ModelConfig,
  resize: "warn" | "refuse",
): Promise<SftExamples> {
  const missing = records.find((r) => r.targetImage === undefined);
  if (missing) {
    throw new UserError(`${missing.source.file}:${missing.source.line}: target_image: missing (SFT needs a target for every train record)`, 1);
  }
  const NP = tokensPerImage(config) * tokenDim(config);
  const W = config.textMaxWords;
  const out: SftExamples = {
    count: records.length,
    ref: new Float32Array(records.length * NP),
    target: new Float32Array(records.length * NP),
    text: new Int32Array(records.length * W),
  };
  for (const [i, r] of records.entries()) {
    const ref = await readImage(r.referenceImage, config.imageSize, { resize });
    const target = await readImage(r.targetImage as string, config.imageSize, { resize });
    out.ref.set(imagesToTokens(ref, 1, config), i * NP);
    out.target.set(imagesToTokens(target, 1, config), i * NP);
    out.text.set(tokenize(r.instruction, config), i * W);
  }
  return out;
}
