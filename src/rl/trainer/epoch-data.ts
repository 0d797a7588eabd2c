/**
 * What one epoch works on: the train records decoded once (`Prepared`), the epoch's rollout samples
 * (`Sample`), and the token sizes every buffer is laid out with (`Dims`).
 */
import { readImage, type DatasetRecord } from "../../data/index.js";
import { imagesToTokens, tokenize, type ModelConfig } from "../../model/index.js";
import { rgbImage, type Image } from "../../reward/index.js";
import type { StepRecord } from "./rollout.js";

export interface Prepared {
  record: DatasetRecord;
  refPixels: Float32Array;
  /** The reference as the reward sees it. */
  refImage: Image;
  refTokens: Float32Array;
  text: Int32Array;
  /** Target pixels, read only when the reward needs them. */
  target: Float32Array | null;
}

export interface Sample {
  /** Index into the prepared records. */
  group: number;
  x0: Float32Array;
  /** The recorded SDE steps (SDE rollouts), otherwise null. */
  steps: StepRecord[] | null;
  image: Image;
}

export interface Dims {
  /** Tokens per image, token size, their product, words of text. */
  N: number;
  P: number;
  NP: number;
  W: number;
}

/** Decodes the train records once (the targets only when `withTargets`). */
export async function prepareRecords(records: readonly DatasetRecord[], mc: ModelConfig, withTargets: boolean): Promise<Prepared[]> {
  const S = mc.imageSize;
  const prepared: Prepared[] = [];
  for (const r of records) {
    const refPixels = await readImage(r.referenceImage, S);
    prepared.push({
      record: r,
      refPixels,
      refImage: rgbImage(refPixels, S, S),
      refTokens: imagesToTokens(refPixels, 1, mc),
      text: tokenize(r.instruction, mc),
      target: withTargets && r.targetImage ? await readImage(r.targetImage, S) : null,
    });
  }
  return prepared;
}
