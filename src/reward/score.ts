/** Eq. 9–11: the LVLM score from the log-probabilities of the score levels. */

/** Renormalised probabilities over the levels (Eq. 9: softmax restricted to the score tokens). */
export function levelProbabilities(logprobs: readonly number[]): number[] {
  if (logprobs.length === 0 || logprobs.some((l) => Number.isNaN(l))) return logprobs.map(() => Number.NaN);
  const max = Math.max(...logprobs);
  if (max === -Infinity) return logprobs.map(() => Number.NaN);
  const e = logprobs.map((l) => Math.exp(l - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** Eq. 10 `S = Σ m_i·p_i` and Eq. 11 `s = (S − min M)/(max M − min M)`; NaN in, NaN out. */
export function levelScore(logprobs: readonly number[], levels: readonly number[]): number {
  if (logprobs.length !== levels.length) throw new Error(`levelScore: ${logprobs.length} log-probs for ${levels.length} levels`);
  const p = levelProbabilities(logprobs);
  if (p.some((v) => Number.isNaN(v))) return Number.NaN;
  const S = p.reduce((acc, pi, i) => acc + pi * (levels[i] as number), 0); // Eq. 10
  const lo = Math.min(...levels);
  const hi = Math.max(...levels);
  return (S - lo) / (hi - lo); // Eq. 11
}
