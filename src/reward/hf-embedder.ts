/**
 * CLIP and DINOv2 embedders over local ONNX model folders (as exported for transformers.js: config.json,
 * preprocessor_config.json, tokenizer files, onnx/*.onnx), through the OPTIONAL `@huggingface/transformers`
 * package, loaded on demand. Nothing is ever downloaded: remote models are switched off.
 * Install: ONNXRUNTIME_NODE_INSTALL=skip npm i @huggingface/transformers
 * Pixels: by default transformers.js's own image processor (preprocessor_config.json). Its Node resize is an
 * affine warp without antialiasing, unlike PIL/torchvision, so callers that need the CHEESE numbers
 * (eval, anchors-evaluation §2.2) pass `pixels` (the eval module's preprocessImage).
 * Tested end to end on tiny ONNX models the tests write (test/eval/onnx-embedders.test.ts).
 */
import { existsSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { UserError } from "../runtime/errors.js";
import type { Embedder } from "./embedder.js";
import { toRgb } from "./image.js";
import type { Image } from "./types.js";

type Tensor = { data: Float32Array; dims: number[] };
type Callable = (inputs: unknown) => Promise<Record<string, Tensor>>;
interface Loadable {
  from_pretrained(id: string, opts?: Record<string, unknown>): Promise<Callable & ((...a: unknown[]) => unknown)>;
}
interface Transformers {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  RawImage: new (data: Uint8ClampedArray, width: number, height: number, channels: number) => unknown;
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => unknown;
  AutoProcessor: Loadable;
  AutoTokenizer: Loadable;
  AutoModel: Loadable;
  CLIPVisionModelWithProjection: Loadable;
  CLIPTextModelWithProjection: Loadable;
}

const PACKAGE = "@huggingface/transformers";

async function loadTransformers(): Promise<Transformers> {
  try {
    return (await import(PACKAGE)) as Transformers;
  } catch {
    throw new UserError(`${PACKAGE} is not installed (optional, needed for --clip-model/--dino-model): ONNXRUNTIME_NODE_INSTALL=skip npm i ${PACKAGE}`);
  }
}

function modelDir(dir: string, flag: string): { parent: string; id: string } {
  const abs = resolve(dir);
  if (!existsSync(resolve(abs, "config.json"))) throw new UserError(`${flag} ${dir}: not a model folder (no config.json)`);
  return { parent: dirname(abs), id: basename(abs) };
}

function normalise(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return n > 0 ? v.map((x) => x / n) : v;
}

/** Rows of a [N, D] tensor. */
function rows(t: Tensor): Float32Array[] {
  const [n = 0, d = 0] = t.dims;
  return Array.from({ length: n }, (_, i) => normalise(t.data.slice(i * d, (i + 1) * d)));
}

async function rawImages(tf: Transformers, images: readonly Image[]): Promise<unknown[]> {
  return Promise.all(
    images.map(async (img) => {
      const { data, width, height } = await toRgb(img);
      return new tf.RawImage(Uint8ClampedArray.from(data, (x) => Math.round(x * 255)), width, height, 3);
    }),
  );
}

/** One preprocessed image: CHW float32 (3 channels), what the vision tower takes as pixel_values. */
export interface Pixels {
  data: Float32Array;
  height: number;
  width: number;
}

export interface HfEmbedderOptions {
  /** Our own preprocessing instead of the folder's image processor (all images must come out the same size). */
  pixels?: (image: Image) => Promise<Pixels>;
}

/** The vision tower's inputs: the folder's processor, or `pixels` stacked into one [N, 3, H, W] tensor. */
async function visionInputs(tf: Transformers, processor: Callable, images: readonly Image[], opts: HfEmbedderOptions): Promise<unknown> {
  if (!opts.pixels) return processor(await rawImages(tf, images));
  const px = await Promise.all(images.map((img) => opts.pixels!(img)));
  const { height = 0, width = 0 } = px[0] ?? {};
  const plane = 3 * height * width;
  const data = new Float32Array(px.length * plane);
  px.forEach((p, i) => {
    if (p.height !== height || p.width !== width || p.data.length !== plane) throw new Error("pixels: images of different sizes");
    data.set(p.data, i * plane);
  });
  return { pixel_values: new tf.Tensor("float32", data, [px.length, 3, height, width]) };
}

/** CLIP image and text embeddings (projected), e.g. an export of openai/clip-vit-large-patch14. */
export async function clipEmbedder(dir: string, opts: HfEmbedderOptions = {}): Promise<Embedder> {
  const tf = await loadTransformers();
  const { parent, id } = modelDir(dir, "--clip-model");
  Object.assign(tf.env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: parent });
  const [processor, vision, tokenizer, text] = await Promise.all([
    tf.AutoProcessor.from_pretrained(id),
    tf.CLIPVisionModelWithProjection.from_pretrained(id),
    tf.AutoTokenizer.from_pretrained(id),
    tf.CLIPTextModelWithProjection.from_pretrained(id),
  ]);
  return {
    name: `clip:${id}`,
    async embedImages(images) {
      return rows((await vision(await visionInputs(tf, processor, images, opts))).image_embeds as Tensor);
    },
    async embedTexts(texts) {
      const inputs = (tokenizer as unknown as (t: readonly string[], o: object) => unknown)(texts, { padding: true, truncation: true });
      return rows((await text(inputs)).text_embeds as Tensor);
    },
  };
}

/** DINOv2 image embeddings: the CLS token of the last hidden state, e.g. an export of facebook/dinov2-base. */
export async function dinoEmbedder(dir: string, opts: HfEmbedderOptions = {}): Promise<Embedder> {
  const tf = await loadTransformers();
  const { parent, id } = modelDir(dir, "--dino-model");
  Object.assign(tf.env, { allowRemoteModels: false, allowLocalModels: true, localModelPath: parent });
  const [processor, model] = await Promise.all([tf.AutoProcessor.from_pretrained(id), tf.AutoModel.from_pretrained(id)]);
  return {
    name: `dino:${id}`,
    async embedImages(images) {
      const h = (await model(await visionInputs(tf, processor, images, opts))).last_hidden_state as Tensor;
      const [n = 0, t = 0, d = 0] = h.dims;
      return Array.from({ length: n }, (_, i) => normalise(h.data.slice(i * t * d, i * t * d + d)));
    },
  };
}
