/**
 * A checkpoint as an Editor (evaluate.ts): the model's editing pipeline — reference pixels → tokens
 * (imagesToTokens), instruction → word ids, noise x1 → deterministic ODE sampling (default 6 Euler steps
 * on FLUX's shifted grid, mu from the target token count) → tokens → pixels. Each record's noise is drawn
 * from its own seed (the eval seed and the record id), so an image does not depend on the batch it falls
 * in or on the other records. Batches have a fixed size (the last one is padded) so the one jitted
 * velocity program never recompiles.
 *
 * The forward engine: "jax" (the jitted jax-js velocity) or "onnx" (the model's ONNX export on
 * onnxruntime-node, src/model/onnx; `ONNX_THREADS` intra-op threads, weights handed over once). Both
 * drive the same sampler; they agree to float rounding (test/eval/eval-engine.test.ts).
 */
import { createHash } from "node:crypto";
import { sampleOde, timeGrid, type OdeSolver } from "../flow/index.js";
import { buildModel, createOnnxVelocity, imagesToTokens, ONNX_THREADS, tokenizeBatch, tokensToImages, type EditModel, type ForwardEngine, type LoadedCheckpoint, type OnnxVelocity, onnxVelocityFn } from "../model/index.js";
import { jax, np, type JaxArray } from "../runtime/jax.js";
import { Rng } from "../runtime/rng.js";
import type { VelocityFn } from "../flow/index.js";
import type { Editor } from "./evaluate.js";


export interface GenerateOptions {
  /** Sampling steps (default 6). */
  steps?: number;
  solver?: OdeSolver;
  /** Eval seed; with the record id it fixes each record's noise. */
  seed: number;
  /** Records per model call (default 32). */
  batchSize?: number;
  /** Forward engine (default "jax"). */
  engine?: ForwardEngine;
}

/** The velocity of one batch (reference tokens [B, N, P], word ids [B, W]); `done` frees what it holds. */
type BatchVelocity = (refTokens: Float32Array, text: Int32Array) => Promise<{ velocity: VelocityFn; done(): void }>;

interface Engine {
  batch: BatchVelocity;
  dispose(): void;
}

function jaxEngine(ckpt: LoadedCheckpoint, model: EditModel, B: number): Engine {
  const c = ckpt.config;
  const shape = [B, model.tokensPerImage, model.tokenDim];
  const base = np.array(ckpt.base, { shape: [model.baseSize] });
  const lora = ckpt.lora && ckpt.loraWeights ? np.array(ckpt.loraWeights, { shape: [model.loraSize] }) : null;
  const velocity = lora
    ? jax.jit((b: JaxArray, l: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => model.velocity(b, l, xt, t, ref, text))
    : jax.jit((b: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => model.velocity(b, null, xt, t, ref, text));
  return {
    async batch(refTokens, textIds) {
      const ref = np.array(refTokens, { shape });
      const text = np.array(textIds, { shape: [B, c.textMaxWords], dtype: np.int32 });
      const v = (x: JaxArray, t: number): JaxArray => {
        const tt = np.full([B], t, { dtype: np.float32 });
        return lora
          ? (velocity as (...a: JaxArray[]) => JaxArray)(base.ref, lora.ref, x, tt, ref.ref, text.ref)
          : (velocity as (...a: JaxArray[]) => JaxArray)(base.ref, x, tt, ref.ref, text.ref);
      };
      return { velocity: v, done: () => (ref.dispose(), text.dispose()) };
    },
    dispose() {
      base.dispose();
      lora?.dispose();
    },
  };
}

function onnxEngine(ckpt: LoadedCheckpoint, model: EditModel, B: number): Engine {
  let session: Promise<OnnxVelocity> | undefined;
  const ready = (): Promise<OnnxVelocity> =>
    (session ??= createOnnxVelocity(model, ONNX_THREADS).then((s) => {
      s.setWeights(ckpt.base, ckpt.loraWeights ?? null);
      return s;
    }));
  return {
    async batch(ref, text) {
      return { velocity: onnxVelocityFn(await ready(), ref, text, [B, model.tokensPerImage, model.tokenDim]), done: () => {} };
    },
    dispose: () => void session?.then((s) => s.release()),
  };
}

export const DEFAULT_EVAL_STEPS = 6;

/** The noise seed of one record: the first 48 bits of sha256("<seed>:<id>"). */
export function recordSeed(seed: number, id: string): number {
  return parseInt(createHash("sha256").update(`${seed}:${id}`).digest("hex").slice(0, 12), 16);
}

/** An Editor that samples the checkpoint's model (init jax first: `await initJax()`); `dispose` frees the weights. */
export function checkpointEditor(ckpt: LoadedCheckpoint, opts: GenerateOptions): Editor & { dispose(): void } {
  const model = buildModel(ckpt.config, ckpt.lora);
  const c = ckpt.config;
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const B = Math.max(1, opts.batchSize ?? 32);
  const grid = timeGrid(opts.steps ?? DEFAULT_EVAL_STEPS, { targetTokens: N });
  const solver = opts.solver ?? "euler";
  const engine = (opts.engine ?? "jax") === "onnx" ? onnxEngine(ckpt, model, B) : jaxEngine(ckpt, model, B);
  const side = c.imageSize * c.imageSize * c.latentChannels;

  const editor: Editor = async (references, instructions, records) => {
    const out: Float32Array[] = [];
    for (let start = 0; start < records.length; start += B) {
      const n = Math.min(B, records.length - start);
      const idx = Array.from({ length: B }, (_, i) => start + Math.min(i, n - 1));
      const pixels = new Float32Array(B * side);
      idx.forEach((j, i) => {
        const r = references[j]!;
        if (r.length !== side) throw new Error(`checkpoint editor: reference ${records[j]!.id} has ${r.length} values, the model needs ${c.imageSize}x${c.imageSize}x${c.latentChannels}`);
        pixels.set(r, i * side);
      });
      const x1 = new Float32Array(B * N * P);
      idx.forEach((j, i) => x1.set(new Rng(recordSeed(opts.seed, records[j]!.id)).normalArray(N * P), i * N * P));
      const { velocity, done } = await engine.batch(imagesToTokens(pixels, B, c), tokenizeBatch(idx.map((j) => instructions[j]!), c));
      const x0 = await sampleOde(velocity, np.array(x1, { shape: [B, N, P] }), grid, solver);
      done();
      const images = tokensToImages(Float32Array.from(await x0.data()), B, c);
      for (let i = 0; i < n; i++) out.push(images.slice(i * side, (i + 1) * side));
    }
    return out;
  };
  return Object.assign(editor, { dispose: () => engine.dispose() });
}
