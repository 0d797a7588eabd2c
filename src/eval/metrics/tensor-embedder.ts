/**
 * An Embedder (the reward's interface) over an encoder that takes pixel tensors, with the CHEESE
 * preprocessing of §2.2 applied here (preprocess.ts): what a raw ONNX/tensor encoder needs, so that
 * resizing, cropping and normalisation are ours, fixed and recorded rather than left to a runtime.
 */
import type { Embedder } from "../../reward/embedder.js";
import type { Image } from "../../reward/types.js";
import { preprocessImage, type PixelTensor, type PreprocessSpec } from "./preprocess.js";

export interface TensorEncoder {
  readonly name: string;
  /** How images are prepared (OPENCLIP_PREPROCESS, DINOV2_PREPROCESS, …). */
  readonly preprocess: PreprocessSpec;
  /** One embedding per CHW tensor (CLIP: the projection output; DINOv2: the final CLS token). */
  encodeImages(tensors: PixelTensor[]): Promise<Float32Array[]>;
  /** One embedding per text, in the image space (CLIP only). */
  encodeTexts?(texts: readonly string[]): Promise<Float32Array[]>;
}

export function tensorEmbedder(enc: TensorEncoder): Embedder {
  const embedder: Embedder = {
    name: enc.name,
    async embedImages(images: readonly Image[]) {
      const tensors: PixelTensor[] = [];
      for (const img of images) tensors.push(await preprocessImage(img, enc.preprocess));
      return enc.encodeImages(tensors);
    },
  };
  const encodeTexts = enc.encodeTexts?.bind(enc);
  if (encodeTexts) embedder.embedTexts = (texts: readonly string[]) => encodeTexts(texts);
  return embedder;
}
