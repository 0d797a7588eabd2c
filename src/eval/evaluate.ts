/**
 * Evaluate any editor on dataset records (issue 6): the editor makes one image per record, in batches;
 * each image gets the judge's DP and PF (Eq. 9–11 score in [0, 1]), the ground truth of the synthetic
 * benchmark (ground-truth.ts) and CLIP-I / DINO-I / CLIP-T (generated vs REFERENCE, instruction text;
 * embedding-scores.ts) and, where the record has an exact target, the pixel distances to it
 * (pixel-distance.ts). The result is what writeEvalFolder takes. A model checkpoint is one editor
 * (generate.ts); copy-the-reference and oracle-target are others (editors.ts).
 */
import { encodePng, figureMask, readImage, type DatasetRecord } from "../data/index.js";
import type { Embedder } from "../reward/embedder.js";
import { levelScore } from "../reward/score.js";
import type { Image, Judge, PromptKind } from "../reward/types.js";
import type { EvalSampleInput } from "./folder.js";
import { groundTruthScores } from "./ground-truth.js";
import { embeddingScores } from "./metrics/embedding-scores.js";
import { NO_PIXEL_SCORES, pixelScores } from "./metrics/pixel-distance.js";

/** Images are [size, size, 3] RGB floats in [0, 1] (the data module's convention). */
export type Editor = (references: readonly Float32Array[], instructions: readonly string[], records: readonly DatasetRecord[]) => Promise<Float32Array[]>;

export interface EvaluateOptions {
  /** Image side (reference, target and generated images are all size × size). */
  size: number;
  /** null: judge_dp / judge_pf are null. */
  judge?: Judge | null;
  clip?: Embedder | null;
  dino?: Embedder | null;
  /** Records per editor call (default 32). */
  batchSize?: number;
  /** Called after each batch with the number of records done. */
  onProgress?: (done: number, total: number) => void;
}

function rgb(data: Float32Array, size: number): Image {
  return { kind: "rgb", data, width: size, height: size };
}

async function judgeScore(judge: Judge, kind: PromptKind, reference: Image, instruction: string, generated: Image): Promise<number> {
  const r = await judge.judge({ kind, reference, instruction, generated });
  return levelScore(r.logprobs, judge.levels);
}

/** One EvalSampleInput per record, in record order. */
export async function evaluateEditor(editor: Editor, records: readonly DatasetRecord[], opts: EvaluateOptions): Promise<EvalSampleInput[]> {
  const { size } = opts;
  const bs = Math.max(1, opts.batchSize ?? 32);
  const out: EvalSampleInput[] = [];
  for (let start = 0; start < records.length; start += bs) {
    const batch = records.slice(start, start + bs);
    const refs = await Promise.all(batch.map((r) => readImage(r.referenceImage, size)));
    const targets = await Promise.all(batch.map((r) => (r.targetImage ? readImage(r.targetImage, size) : Promise.resolve(null))));
    const generated = await editor(refs, batch.map((r) => r.instruction), batch);
    if (generated.length !== batch.length) throw new Error(`editor returned ${generated.length} images for ${batch.length} records`);
    generated.forEach((g, i) => {
      if (g.length !== size * size * 3) throw new Error(`editor: image ${i} has ${g.length} values, expected ${size}x${size}x3`);
    });
    const embeddings = await embeddingScores(
      batch.map((r, i) => ({ generated: rgb(generated[i]!, size), reference: rgb(refs[i]!, size), instruction: r.instruction })),
      { clip: opts.clip ?? null, dino: opts.dino ?? null, batchSize: bs },
    );
    const judged = await Promise.all(
      batch.map(async (r, i) => {
        if (!opts.judge) return { dp: null, pf: null };
        const ref = rgb(refs[i]!, size);
        const gen = rgb(generated[i]!, size);
        const [dp, pf] = await Promise.all([judgeScore(opts.judge, "dp", ref, r.instruction, gen), judgeScore(opts.judge, "pf", ref, r.instruction, gen)]);
        return { dp, pf };
      }),
    );
    for (const [i, r] of batch.entries()) {
      const tgt = targets[i] ?? null;
      const gt = groundTruthScores(generated[i]!, r, size);
      const pixels = tgt ? pixelScores(generated[i]!, tgt, size, r.attributes ? figureMask(r.attributes.target, size) : null) : NO_PIXEL_SCORES;
      out.push({
        id: r.id,
        instruction: r.instruction,
        generated_png: await encodePng(generated[i]!, size),
        reference_png: await encodePng(refs[i]!, size),
        target_png: tgt ? await encodePng(tgt, size) : null,
        judge_dp: judged[i]!.dp,
        judge_pf: judged[i]!.pf,
        ...gt,
        ...pixels,
        ...embeddings[i]!,
      });
    }
    opts.onProgress?.(Math.min(records.length, start + bs), records.length);
  }
  return out;
}
