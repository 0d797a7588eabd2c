/**
 * The synthetic judge (DESIGN §5): the same interface as an LVLM judge, from the paper's inputs only —
 * DP from (reference, generated image), PF from (reference, instruction, generated image), never the
 * target — built on the benchmark's recognizer and instruction parser. Its level distribution is the linearly binned distribution of an agreement score
 * under the recognizer's probabilities (agreement.ts), so an uncertain recognizer spreads the levels.
 *
 * - DP: every identity attribute (weighted by meaning, DETAIL_WEIGHTS) agrees between reference and
 *   generated image with probability q_a = Σ_v P_ref(v)·P_gen(v) / max(Σ P_ref², Σ P_gen²) (`agree`).
 *   Pose and camera never enter DP, so a requested pose change is never penalised.
 * - PF: each requested change is achieved with probability P_gen(requested value) (weight 1 − λ shared
 *   equally); each pose/camera attribute the instruction leaves alone should stay as in the reference
 *   (weight λ shared equally, λ = 0.2 by default).
 * - Copy penalty (PF only): c = Π over requested attributes of P(generated keeps the reference's value)
 *   is the probability that the image ignores the instruction; with probability c the PF outcome is the
 *   lowest level. DP never sees the instruction, so a copy keeps the highest DP (it does preserve every
 *   detail): stopping copies is the job of PF and Eq. 12–13, as in the paper.
 * - Dual-PD (the one-prompt ablation): DP and PF terms at half weight each in one agreement; a copy loses
 *   half of its agreement.
 * - An instruction the parser does not understand: PF is NaN (no reward is invented).
 */
import { ATTRIBUTE_VALUES, DETAIL_WEIGHTS, EDITABLE_ATTRIBUTES, IDENTITY_ATTRIBUTES } from "../data/index.js";
import type { AttributeChanges, AttributeName } from "../data/index.js";
import { agreementAtoms, binAtoms, mixScaled, type Term } from "./agreement.js";
import { toRgb } from "./image.js";
import { DEFAULT_LEVELS, checkLevels } from "./levels.js";
import { failedResult, type Image, type Judge, type JudgeRequest, type JudgeResult } from "./types.js";

/** Per attribute, a probability per value (the shape of the benchmark recognizer's output). */
export type AttributeProbs = { [A in AttributeName]: Readonly<Record<string, number>> };

export interface SyntheticJudgeOptions {
  /** From pixels [S, S, 3] in [0, 1] to per-attribute probabilities. */
  recognize: (pixels: Float32Array, size: number) => AttributeProbs | Promise<AttributeProbs>;
  parseInstruction: (text: string) => AttributeChanges | "unknown";
  levels?: readonly number[];
  /** Recorded in outputs (default "synthetic"). */
  name?: string;
  /** DP weight of each identity attribute (default DETAIL_WEIGHTS, by meaning). */
  detailWeights?: Readonly<Record<(typeof IDENTITY_ATTRIBUTES)[number], number>>;
  /** λ: PF weight of keeping the pose/camera attributes the instruction leaves alone (default 0.2). */
  unchangedWeightPf?: number;
}

/** Terms with their weights rescaled to sum to `total`. */
function normalised(terms: readonly Term[], total: number): Term[] {
  const sum = terms.reduce((s, t) => s + t.weight, 0);
  return terms.map((t) => ({ ...t, weight: (t.weight / sum) * total }));
}

/**
 * Probability that two images agree on an attribute, Σ_v P_1(v)·P_2(v), divided by max(Σ P_1², Σ P_2²):
 * with a clean (one-hot) reference this is P_2(reference value); when the renderer hides the attribute
 * in both images (the recognizer then ties the values it cannot tell apart, as hair style under a hat)
 * it stays 1 instead of counting the hidden detail as lost.
 */
function agree(a: AttributeName, p1: AttributeProbs, p2: AttributeProbs): number {
  const vals = ATTRIBUTE_VALUES[a] as readonly string[];
  const dot = (x: AttributeProbs, y: AttributeProbs): number => vals.reduce((s, v) => s + (x[a][v] ?? 0) * (y[a][v] ?? 0), 0);
  const norm = Math.max(dot(p1, p1), dot(p2, p2));
  return norm > 0 ? Math.min(1, dot(p1, p2) / norm) : 0;
}

export class SyntheticJudge implements Judge {
  readonly name: string;
  readonly levels: readonly number[];
  private readonly recognized = new WeakMap<Image, Promise<AttributeProbs>>();

  constructor(private readonly o: SyntheticJudgeOptions) {
    this.levels = checkLevels(o.levels ?? DEFAULT_LEVELS, "synthetic judge levels");
    this.name = o.name ?? "synthetic";
  }

  private probs(image: Image): Promise<AttributeProbs> {
    let p = this.recognized.get(image);
    if (!p) {
      p = toRgb(image).then(({ data, width, height }) => {
        if (width !== height) throw new Error(`synthetic judge: images must be square, got ${width}x${height}`);
        return this.o.recognize(data, width);
      });
      this.recognized.set(image, p);
    }
    return p;
  }

  /** Probability that the generated image ignores every requested change (keeps the reference's values). */
  private copyProbability(changes: AttributeChanges, ref: AttributeProbs, gen: AttributeProbs): number {
    const attrs = Object.keys(changes) as (keyof AttributeChanges)[];
    return attrs.reduce((c, a) => c * agree(a, ref, gen), 1);
  }

  /** The DP terms: identity attributes weighted by meaning. */
  dpTerms(ref: AttributeProbs, gen: AttributeProbs): Term[] {
    const weights = this.o.detailWeights ?? DETAIL_WEIGHTS;
    return IDENTITY_ATTRIBUTES.map((a) => ({ weight: weights[a], q: agree(a, ref, gen) }));
  }

  /** The PF terms: requested changes, then the pose/camera attributes left alone. */
  pfTerms(changes: AttributeChanges, ref: AttributeProbs, gen: AttributeProbs): Term[] {
    const lambda = this.o.unchangedWeightPf ?? 0.2;
    const requested = EDITABLE_ATTRIBUTES.filter((a) => changes[a] !== undefined);
    const kept = EDITABLE_ATTRIBUTES.filter((a) => changes[a] === undefined);
    const terms: Term[] = requested.map((a) => ({ weight: (1 - lambda) / requested.length, q: gen[a][changes[a] as string] ?? 0 }));
    if (lambda > 0) for (const a of kept) terms.push({ weight: lambda / kept.length, q: agree(a, ref, gen) });
    return terms;
  }

  async judge(req: JudgeRequest): Promise<JudgeResult> {
    const t0 = performance.now();
    const [ref, gen] = await Promise.all([this.probs(req.reference), this.probs(req.generated)]);
    let atoms: [number, number][];
    if (req.kind === "dp") {
      atoms = agreementAtoms(this.dpTerms(ref, gen));
    } else {
      const changes = this.o.parseInstruction(req.instruction);
      if (changes === "unknown") return { ...failedResult(this.levels.length, "synthetic judge: instruction not understood by the parser", performance.now() - t0), mode: "synthetic" };
      const c = this.copyProbability(changes, ref, gen);
      const terms = this.pfTerms(changes, ref, gen);
      atoms =
        req.kind === "pf"
          ? mixScaled(agreementAtoms(terms), c, 0)
          : mixScaled(agreementAtoms([...this.dpTerms(ref, gen).map((t) => ({ ...t, weight: t.weight / 2 })), ...normalised(terms, 0.5)]), c, 0.5);
    }
    const p = binAtoms(atoms, this.levels);
    return { logprobs: p.map(Math.log), mass: 1, tokens: [], latencyMs: performance.now() - t0, cached: false, mode: "synthetic" };
  }

  async close(): Promise<void> {}
}
