/**
 * First-token candidates → level log-probabilities (DESIGN §5, anchors-evaluation §3.7): a token maps to a
 * level when, after trimming whitespace and byte-level BPE markers, it is exactly that level's digit; other
 * tokens are ignored. Probabilities of tokens mapping to the same level add up ("3" and " 3").
 */
import type { RawToken } from "./types.js";

/** Byte-level markers: GPT-2 "Ġ" (space), "Ċ" (newline), SentencePiece "▁". */
const MARKERS = /^[\sĠĊ▁]+|[\sĠĊ▁]+$/gu;

export function normaliseToken(token: string): string {
  return token.replace(MARKERS, "");
}

export interface LevelMapping {
  /** log p(level) renormalised over levels; −Infinity for a level absent from the candidates. */
  logprobs: number[];
  /** Σ exp(logprob) over candidates that mapped to a level. */
  mass: number;
}

export function mapTokensToLevels(tokens: readonly RawToken[], levels: readonly number[]): LevelMapping {
  const p = levels.map(() => 0);
  const seen = new Set<string>();
  for (const t of tokens) {
    if (seen.has(t.token) || !Number.isFinite(t.logprob)) continue;
    seen.add(t.token);
    const i = levels.findIndex((l) => String(l) === normaliseToken(t.token));
    if (i >= 0) p[i] = (p[i] as number) + Math.exp(t.logprob);
  }
  const mass = p.reduce((a, b) => a + b, 0);
  const logprobs = p.map((v) => (mass > 0 ? Math.log(v / mass) : Number.NaN));
  return { logprobs, mass };
}
