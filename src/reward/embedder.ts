/** Image/text embedders for the encoder rewards (CLIP-I, DINO-I, CLIP-T): L2-normalised vectors. */
import type { Image } from "./types.js";

export interface Embedder {
  readonly name: string;
  embedImages(images: readonly Image[]): Promise<Float32Array[]>;
  /** Absent for image-only encoders (DINOv2). */
  embedTexts?(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Cosine similarity a·b / (‖a‖‖b‖) (anchors-evaluation §2.1); NaN when either vector is zero or has a NaN. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths ${a.length} and ${b.length}`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : Number.NaN;
}
