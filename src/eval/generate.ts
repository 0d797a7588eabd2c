/**
 * A checkpoint as an Editor (evaluate.ts): the model's editing pipeline — reference pixels → tokens
 * (imagesToTokens), instruction → word ids, noise x1 → deterministic ODE sampling (default 6 Euler steps
 * on FLUX's shifted grid, mu from the target token count) → tokens → pixels. Each record's noise is drawn
 * from its own seed (the eval seed and the record id), so an image does not depend on the batch it falls
 * in or on the other records. Batches have a fixed size (the last one is padded) so the one jitted
 * velocity program never recompiles.
 *
 * The model runs on the chosen forward engine (model/forward.ts), weights set once; both engines drive
 * the same sampler and agree to float rounding (test/eval/eval-engine.test.ts).
 */
import { createHash } from "node:crypto";
import { sampleOde, timeGrid, type OdeSolver } from "../flow/index.js";
import { buildModel, DEFAULT_FORWARD_ENGINE, imagesToTokens, openForward, tokenizeBatch, tokensToImages, type ForwardEngine, type LoadedCheckpoint } from "../model/index.js";
import { np } from "../runtime/jax.js";
import { Rng } from "../runtime/rng.js";
import type { Editor } from "./evaluate.js";

export interface GenerateOptions {
  /** Sampling steps (default 6). */
  steps?: number;
  solver?: OdeSolver;
  /** Eval seed; with the record id it fixes each record's noise. */
  seed: number;
  /** Records per model call (default 32). */
  batchSize?: number;
  /** Forward engine (default: model/forward.ts `DEFAULT_FORWARD_ENGINE`). */
  engine?: ForwardEngine;
}

export const DEFAULT_EVAL_STEPS = 6;

/** The noise seed of one record: the first 48 bits of sha256("<seed>:<id>"). */
export function recordSeed(seed: number, id: string): number {
  return parseInt(createHash("sha256").update(`${seed}:${id}`).digest("hex").slice(0, 12), 16);
}

/** An Editor that samples the checkpoint's model (init jax first: `await initJax()`); `dispose` frees the forward. */
export async function checkpointEditor(ckpt: LoadedCheckpoint, opts: GenerateOptions): Promise<Editor & { dispose(): Promise<void> }> {
  const model = buildModel(ckpt.config, ckpt.lora);
  const c = ckpt.config;
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const B = Math.max(1, opts.batchSize ?? 32);
  const grid = timeGrid(opts.steps ?? DEFAULT_EVAL_STEPS, { targetTokens: N });
  const solver = opts.solver ?? "euler";
  const forward = await openForward(opts.engine ?? DEFAULT_FORWARD_ENGINE, model);
  forward.setBase(ckpt.base);
  forward.setLora(ckpt.lora && ckpt.loraWeights ? ckpt.loraWeights : null);
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
      const { velocity, done } = forward.bind({ B, ref: imagesToTokens(pixels, B, c), text: tokenizeBatch(idx.map((j) => instructions[j]!), c) });
      const x0 = await sampleOde(velocity, np.array(x1, { shape: [B, N, P] }), grid, solver);
      done();
      const images = tokensToImages(Float32Array.from(await x0.data()), B, c);
      for (let i = 0; i < n; i++) out.push(images.slice(i * side, (i + 1) * side));
    }
    return out;
  };
  return Object.assign(editor, { dispose: () => forward.release() });
}
