/**
 * An embedder for the synthetic benchmark, on the recognizer's features: an image is the concatenation,
 * over attributes, of √w_a·P(a = v) (identity attributes weighted by meaning and sharing half the
 * weight, pose and camera attributes sharing the other half); a text is the same layout with the
 * one-hot requested values of the attributes the instruction changes and zeros elsewhere (an
 * instruction the parser does not understand embeds to zero, so its similarity is NaN). It stands in
 * for CLIP and DINO when no model folder is given.
 */
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, DETAIL_WEIGHTS, EDITABLE_ATTRIBUTES } from "../data/index.js";
import type { AttributeChanges, AttributeName } from "../data/index.js";
import type { Embedder } from "./embedder.js";
import { toRgb } from "./image.js";
import type { AttributeProbs } from "./synthetic-judge.js";
import type { Image } from "./types.js";

function weight(a: AttributeName): number {
  const id = DETAIL_WEIGHTS as Record<string, number>;
  return a in id ? 0.5 * (id[a] as number) : 0.5 / EDITABLE_ATTRIBUTES.length;
}

const DIM = ALL_ATTRIBUTES.reduce((n, a) => n + ATTRIBUTE_VALUES[a].length, 0);

function layout(value: (a: AttributeName, v: string) => number): Float32Array {
  const out = new Float32Array(DIM);
  let k = 0;
  for (const a of ALL_ATTRIBUTES) {
    const w = Math.sqrt(weight(a));
    for (const v of ATTRIBUTE_VALUES[a]) out[k++] = w * value(a, v);
  }
  return out;
}

export class SyntheticEmbedder implements Embedder {
  readonly name = "synthetic-recognizer";

  constructor(
    private readonly recognize: (pixels: Float32Array, size: number) => AttributeProbs | Promise<AttributeProbs>,
    private readonly parseInstruction: (text: string) => AttributeChanges | "unknown",
  ) {}

  async embedImages(images: readonly Image[]): Promise<Float32Array[]> {
    return Promise.all(
      images.map(async (img) => {
        const { data, width } = await toRgb(img);
        const p = await this.recognize(data, width);
        return layout((a, v) => p[a][v] ?? 0);
      }),
    );
  }

  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const c = this.parseInstruction(t);
      return layout((a, v) => (c !== "unknown" && (c as Record<string, string>)[a] === v ? 1 : 0));
    });
  }
}
