/**
 * The randomness of SFT step k is a pure function of (seed, k): which examples (an epoch-wise
 * permutation, each example once per epoch), the noise x1 ~ N(0, I) and the logit-normal times.
 * A resumed run therefore needs only the step number to continue the exact stream; no RNG state
 * has to be carried (the checkpoint records seed and step).
 */
import { createHash } from "node:crypto";
import { logitNormalTime, resolveMu, type ShiftSpec } from "../flow/index.js";
import { Rng } from "../runtime/rng.js";
import type { SftConfig } from "./config.js";
import type { SftExamples } from "./examples.js";

export interface HostBatch {
  B: number;
  x0: Float32Array;
  x1: Float32Array;
  t: Float32Array;
  ref: Float32Array;
  text: Int32Array;
  /** Eq. 2's weight per target element (config `editWeight`); null: unweighted. */
  w: Float32Array | null;
}

/** The edit weights of a batch: 1 + weight where |x0 − ref| > threshold, else 1. */
export function editWeights(x0: Float32Array, ref: Float32Array, e: NonNullable<SftConfig["editWeight"]>): Float32Array {
  const w = new Float32Array(x0.length);
  for (let i = 0; i < w.length; i++) w[i] = Math.abs(x0[i]! - ref[i]!) > e.threshold ? 1 + e.weight : 1;
  return w;
}

/** A 48-bit seed for the stream named `label` (first 12 hex digits of sha256("seed:label")). */
export function streamSeed(seed: number, label: string): number {
  return parseInt(createHash("sha256").update(`${seed}:${label}`).digest("hex").slice(0, 12), 16);
}

export function shiftSpec(shift: SftConfig["timesteps"]["shift"], targetTokens: number): ShiftSpec {
  return shift === "tokens" ? { targetTokens } : shift;
}

export class BatchMaker {
  private epoch = -1;
  private perm: number[] = [];

  constructor(
    private readonly ex: SftExamples,
    private readonly config: SftConfig,
    private readonly tokens: { N: number; P: number; W: number },
  ) {}

  private exampleAt(k: number): number {
    const n = this.ex.count;
    const epoch = Math.floor(k / n);
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.perm = new Rng(streamSeed(this.config.seed, `sft-epoch-${epoch}`)).permutation(n);
    }
    return this.perm[k % n] as number;
  }

  /** The batch of optimizer step `step` (1-based). */
  make(step: number): HostBatch {
    const { N, P, W } = this.tokens;
    const B = this.config.batchSize;
    const NP = N * P;
    const b: HostBatch = {
      B,
      x0: new Float32Array(B * NP),
      x1: new Float32Array(B * NP),
      t: new Float32Array(B),
      ref: new Float32Array(B * NP),
      text: new Int32Array(B * W),
      w: null,
    };
    for (let i = 0; i < B; i++) {
      const j = this.exampleAt((step - 1) * B + i);
      b.x0.set(this.ex.target.subarray(j * NP, (j + 1) * NP), i * NP);
      b.ref.set(this.ex.ref.subarray(j * NP, (j + 1) * NP), i * NP);
      b.text.set(this.ex.text.subarray(j * W, (j + 1) * W), i * W);
    }
    const rng = new Rng(streamSeed(this.config.seed, `sft-step-${step}`));
    b.x1.set(rng.normalArray(B * NP));
    const { mean, std, shift } = this.config.timesteps;
    const mu = resolveMu(shiftSpec(shift, N));
    for (let i = 0; i < B; i++) b.t[i] = logitNormalTime(rng.normal(), { mean, std, mu });
    if (this.config.editWeight) b.w = editWeights(b.x0, b.ref, this.config.editWeight);
    return b;
  }
}
