/**
 * The synthetic judge's level distribution (DESIGN §5: it must reflect the recognizer's uncertainty).
 * An agreement A = Σ_a w_a·B_a with independent B_a ~ Bernoulli(q_a) (q_a: the recognizer's probability
 * that attribute a agrees), Σ w_a = 1. The exact distribution of A (at most 2^k atoms) is binned onto the
 * levels linearly — an atom between two adjacent levels splits its mass between them in proportion to
 * the distance — so the expected level is exactly min M + E[A]·(max M − min M): Eq. 10–11 of the
 * resulting log-probs give back E[A] = Σ w_a·q_a.
 */

export interface Term {
  weight: number;
  /** Probability that this attribute agrees. */
  q: number;
}

/** Atom values are kept on a grid of this step, which bounds the atoms to 1025 (error ≤ 1/2048 per term). */
const GRID = 1024;

/** Atoms (value, probability) of A = Σ w·Bernoulli(q), weights normalised to sum 1. */
export function agreementAtoms(terms: readonly Term[]): [number, number][] {
  const total = terms.reduce((a, t) => a + t.weight, 0);
  if (!(total > 0)) throw new Error("agreementAtoms: weights must sum to a positive number");
  let atoms = new Map<number, number>([[0, 1]]);
  for (const t of terms) {
    const w = t.weight / total;
    const q = Math.min(1, Math.max(0, t.q));
    const next = new Map<number, number>();
    for (const [v, p] of atoms) {
      if (q < 1) next.set(v, (next.get(v) ?? 0) + p * (1 - q));
      const up = Math.round((v + w) * GRID) / GRID;
      if (q > 0) next.set(up, (next.get(up) ?? 0) + p * q);
    }
    atoms = next;
  }
  return [...atoms.entries()];
}

/** Linear binning of atoms in [0, 1] onto levels (ascending); returns probabilities per level. */
export function binAtoms(atoms: readonly [number, number][], levels: readonly number[]): number[] {
  const lo = levels[0] as number;
  const hi = levels[levels.length - 1] as number;
  const p = levels.map(() => 0);
  for (const [a, prob] of atoms) {
    const x = lo + Math.min(1, Math.max(0, a)) * (hi - lo);
    let k = 0;
    while (k < levels.length - 2 && x > (levels[k + 1] as number)) k++;
    const left = levels[k] as number;
    const right = levels[k + 1] as number;
    const f = (x - left) / (right - left);
    p[k] = (p[k] as number) + prob * (1 - f);
    p[k + 1] = (p[k + 1] as number) + prob * f;
  }
  return p;
}

/** A mixture: with probability `c` the outcome is scaled by `factor` (a copy penalty), else unchanged. */
export function mixScaled(atoms: readonly [number, number][], c: number, factor: number): [number, number][] {
  if (c <= 0) return [...atoms];
  return [...atoms.map(([v, p]): [number, number] => [v, p * (1 - c)]), ...atoms.map(([v, p]): [number, number] => [v * factor, p * c])];
}
