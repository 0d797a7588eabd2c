/**
 * Instruction tokenizer (word level) and the ids → (sequence, pooled) text encoder.
 *
 * FLUX feeds T5 token features to `context_embedder` and a CLIP pooled vector to
 * `time_text_embed.text_embedder`. The built-in encoder produces both from word ids:
 *   h_i   = E[w_i] + P[i]                                   (word + position embedding)
 *   a_ji  = softmax_i(q_j · h_i / √D) over non-pad words     (one learned query per text slot j)
 *   seq_j = Σ_i a_ji h_i                                     → [B, textSlots, jointAttentionDim]
 *   pooled = Linear(mean_i h_i over non-pad words)           → [B, pooledDim]
 * so an instruction of up to `textMaxWords` words fits the few text slots that keep the joint
 * sequence a multiple of 4 (jaxjs-performance.md §2.1) without truncating it.
 */
import { np, nn, type JaxArray } from "../runtime/jax.js";
import type { ModelConfig } from "./config.js";
import { BUILTIN_VOCABULARY, PAD_ID, UNK_ID } from "./vocabulary.js";
import type { ParamBag } from "./params.js";
import { maskedSoftmax } from "./softmax.js";

export function vocabularyOf(config: ModelConfig): readonly string[] {
  return config.vocabulary ?? BUILTIN_VOCABULARY;
}

/** Embedding rows: PAD, UNK, then the words. */
export function vocabSize(config: ModelConfig): number {
  return vocabularyOf(config).length + 2;
}

const indexCache = new WeakMap<readonly string[], Map<string, number>>();

function wordIndex(words: readonly string[]): Map<string, number> {
  let m = indexCache.get(words);
  if (!m) {
    m = new Map(words.map((w, i) => [w, i + 2]));
    indexCache.set(words, m);
  }
  return m;
}

/** Lower-case words (letters, digits, inner hyphens and apostrophes). */
export function splitWords(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:['-][a-z0-9]+)*/g) ?? [];
}

/**
 * Word ids of an instruction, length `textMaxWords`: unknown words → UNK (1), padded with PAD (0),
 * words beyond `textMaxWords` dropped.
 */
export function tokenize(text: string, config: ModelConfig): Int32Array {
  const index = wordIndex(vocabularyOf(config));
  const out = new Int32Array(config.textMaxWords).fill(PAD_ID);
  splitWords(text)
    .slice(0, config.textMaxWords)
    .forEach((w, i) => (out[i] = index.get(w) ?? UNK_ID));
  return out;
}

/** Tokenize a batch into one [B, textMaxWords] int32 buffer. */
export function tokenizeBatch(texts: string[], config: ModelConfig): Int32Array {
  const out = new Int32Array(texts.length * config.textMaxWords);
  texts.forEach((t, b) => out.set(tokenize(t, config), b * config.textMaxWords));
  return out;
}

/** Traceable encoder: ids int32 [B, W] → [sequence [B, S, Dt], pooled [B, Dp]]. Consumes `ids`. */
export function encodeText(p: ParamBag, ids: JaxArray, config: ModelConfig): [JaxArray, JaxArray] {
  const V = vocabSize(config);
  const D = config.jointAttentionDim;
  const mask = ids.ref.notEqual(PAD_ID).astype(np.float32); // [B, W]
  const onehot = nn.oneHot(ids, V); // [B, W, V]
  const h = np.matmul(onehot, p.take("text_encoder.token_embedding.weight")).add(p.take("text_encoder.position_embedding.weight")); // [B, W, D]
  const q = p.take("text_encoder.slot_queries.weight"); // [S, D]
  const scores = np.matmul(h.ref, q.transpose()).mul(1 / Math.sqrt(D)); // [B, W, S]
  const maskCol = mask.ref.reshape([mask.shape[0]!, mask.shape[1]!, 1]);
  const a = maskedSoftmax(scores, maskCol.ref, 1); // [B, W, S]: softmax over words, pad words get 0
  const seq = np.matmul(a.transpose([0, 2, 1]), h.ref); // [B, S, D]
  const count = mask.sum(1, { keepdims: true }).add(1e-6); // [B, 1]
  const mean = h.mul(maskCol).sum(1).div(count); // [B, D]
  const pooled = np.matmul(mean, p.take("text_encoder.pooled_proj.weight").transpose()).add(p.take("text_encoder.pooled_proj.bias"));
  return [seq, pooled];
}

/**
 * A word vocabulary read off a set of instructions (sorted unique words, so it depends only on the
 * set) and the word budget that fits the longest of them, rounded up to a multiple of 4.
 */
export function vocabularyFromTexts(texts: readonly string[]): { vocabulary: string[]; maxWords: number } {
  const words = new Set<string>();
  let longest = 0;
  for (const t of texts) {
    const w = splitWords(t);
    longest = Math.max(longest, w.length);
    for (const x of w) words.add(x);
  }
  return { vocabulary: [...words].sort(), maxWords: Math.max(4, Math.ceil(longest / 4) * 4) };
}
