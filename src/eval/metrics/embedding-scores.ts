/**
 * CLIP-I, DINO-I and CLIP-T as the CHEESE protocol computes them (anchors-evaluation §2.2): per sample,
 *   CLIP-I = cos(E_clip(generated), E_clip(reference)),  DINO-I = cos(E_dino(generated), E_dino(reference)),
 *   CLIP-T = cos(E_clip(generated), E_text(instruction));
 * raw cosines (no ×100, no ×2.5, no clamp), generated image vs the REFERENCE (which is why copying the
 * reference scores high). Pairing is by position in `pairs`: callers pair by record id, never by file order.
 * The embedders are the reward's interface; preprocessing is theirs (tensorEmbedder applies §2.2).
 */
import { cosine, type Embedder } from "../../reward/embedder.js";
import type { Image } from "../../reward/types.js";

export interface EmbeddingPair {
  generated: Image;
  reference: Image;
  instruction: string;
}

export interface EmbeddingScores {
  clip_i: number | null;
  dino_i: number | null;
  clip_t: number | null;
}

export interface EmbeddingEncoders {
  clip?: Embedder | null;
  dino?: Embedder | null;
  /** Pairs per embedder call (default 16; each call embeds 2× as many images). */
  batchSize?: number;
}

function check(embs: Float32Array[], expected: number, who: string): Float32Array[] {
  if (embs.length !== expected) throw new Error(`${who}: returned ${embs.length} embeddings for ${expected} inputs`);
  const dim = embs[0]?.length ?? 0;
  for (const e of embs) {
    if (e.length !== dim || dim === 0) throw new Error(`${who}: embeddings of inconsistent or zero length`);
    for (const v of e) if (!Number.isFinite(v)) throw new Error(`${who}: non-finite embedding value`);
  }
  return embs;
}

async function imagePairCosines(embedder: Embedder, batch: readonly EmbeddingPair[]): Promise<{ cos: number[]; generated: Float32Array[] }> {
  const imgs = [...batch.map((p) => p.generated), ...batch.map((p) => p.reference)];
  const embs = check(await embedder.embedImages(imgs), imgs.length, `${embedder.name} embedImages`);
  const generated = embs.slice(0, batch.length);
  const cos = generated.map((g, i) => cosine(g, embs[batch.length + i]!));
  return { cos, generated };
}

/** Per-sample CLIP-I, DINO-I, CLIP-T; a metric whose encoder (or text tower) is absent is null. */
export async function embeddingScores(pairs: readonly EmbeddingPair[], enc: EmbeddingEncoders): Promise<EmbeddingScores[]> {
  const out: EmbeddingScores[] = pairs.map(() => ({ clip_i: null, dino_i: null, clip_t: null }));
  const bs = Math.max(1, enc.batchSize ?? 16);
  for (let start = 0; start < pairs.length; start += bs) {
    const batch = pairs.slice(start, start + bs);
    if (enc.clip) {
      const { cos, generated } = await imagePairCosines(enc.clip, batch);
      cos.forEach((c, i) => (out[start + i]!.clip_i = c));
      if (enc.clip.embedTexts) {
        const texts = check(await enc.clip.embedTexts(batch.map((p) => p.instruction)), batch.length, `${enc.clip.name} embedTexts`);
        texts.forEach((t, i) => (out[start + i]!.clip_t = cosine(generated[i]!, t)));
      }
    }
    if (enc.dino) {
      const { cos } = await imagePairCosines(enc.dino, batch);
      cos.forEach((c, i) => (out[start + i]!.dino_i = c));
    }
  }
  return out;
}
