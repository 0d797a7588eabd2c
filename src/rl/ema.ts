/**
 * The old policy and the eval EMA as exponential moving averages of the trainable vector
 * (anchors-algorithms.md §1.6).
 *
 * Old policy (DiffusionNFT `return_decay`, applied once per epoch with step = optimizer steps so far):
 *   d = 0                                 if step < flat
 *   d = min((step − flat)·uprate, cap)    otherwise
 *   old ← d·old + (1 − d)·θ
 *   type 0: flat 0, uprate 0,      cap 0      (old = θ after every epoch: on-policy)
 *   type 1: flat 0, uprate 0.001,  cap 0.5    (default)
 *   type 2: flat 75, uprate 0.0075, cap 0.999 (strongly off-policy, OCR)
 *
 * Eval EMA (flow_grpo `EMAModuleWrapper`, updated after optimizer step k = 0, 1, …):
 *   d_k = min((1 + k)/(10 + k), cap)      cap 0.9
 *   ema ← ema + (1 − d_k)·(θ − ema)       only when (k + 1) % interval == 0
 *
 * Both hold a flat Float32 vector (the trainer's parameter layout) and serialise to a small JSON
 * state plus that vector.
 */
import { z } from "zod";

export const decayTypeSchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);
export type DecayType = z.infer<typeof decayTypeSchema>;

const DECAY_TYPES: Record<DecayType, { flat: number; uprate: number; cap: number }> = {
  0: { flat: 0, uprate: 0, cap: 0 },
  1: { flat: 0, uprate: 0.001, cap: 0.5 },
  2: { flat: 75, uprate: 0.0075, cap: 0.999 },
};

/** The old-policy decay d after `step` optimizer steps. */
export function oldPolicyDecay(step: number, type: DecayType): number {
  const { flat, uprate, cap } = DECAY_TYPES[type];
  if (step < flat) return 0;
  return Math.min((step - flat) * uprate, cap);
}

/** The eval-EMA decay d_k at optimizer step k (0-based). */
export function evalEmaDecay(k: number, cap: number): number {
  return Math.min((1 + k) / (10 + k), cap);
}

/** `d·avg + (1 − d)·x` on flat vectors, written into `avg`. */
export function mixInto(avg: Float32Array, x: Float32Array, d: number): void {
  if (avg.length !== x.length) throw new Error(`EMA: vector lengths differ (${avg.length} vs ${x.length})`);
  for (let i = 0; i < avg.length; i++) avg[i] = d * (avg[i] as number) + (1 - d) * (x[i] as number);
}

export const oldPolicyStateSchema = z.strictObject({
  kind: z.literal("old-policy"),
  decayType: decayTypeSchema,
  updates: z.number().int().min(0),
  length: z.number().int().min(0),
});
export type OldPolicyState = z.infer<typeof oldPolicyStateSchema>;

/** The old (sampling) policy θ_old. */
export class OldPolicy {
  private constructor(
    readonly vector: Float32Array,
    readonly decayType: DecayType,
    private updateCount: number,
  ) {}

  /** θ_old ← θ, before epoch 0. */
  static init(theta: Float32Array, decayType: DecayType): OldPolicy {
    return new OldPolicy(Float32Array.from(theta), decayType, 0);
  }

  static restore(state: unknown, vector: Float32Array): OldPolicy {
    const s = oldPolicyStateSchema.parse(state);
    if (s.length !== vector.length) throw new Error(`old policy: state says ${s.length} values, vector has ${vector.length}`);
    return new OldPolicy(Float32Array.from(vector), s.decayType, s.updates);
  }

  get updates(): number {
    return this.updateCount;
  }

  /** The end-of-epoch update after `step` optimizer steps in total; returns the decay used. */
  update(theta: Float32Array, step: number): number {
    const d = oldPolicyDecay(step, this.decayType);
    mixInto(this.vector, theta, d);
    this.updateCount++;
    return d;
  }

  state(): OldPolicyState {
    return { kind: "old-policy", decayType: this.decayType, updates: this.updateCount, length: this.vector.length };
  }
}

export const evalEmaStateSchema = z.strictObject({
  kind: z.literal("eval-ema"),
  cap: z.number().min(0).max(1),
  interval: z.number().int().min(1),
  length: z.number().int().min(0),
});
export type EvalEmaState = z.infer<typeof evalEmaStateSchema>;

/** The EMA of θ used for evaluation and exported weights (never the weights training continues from). */
export class EvalEma {
  private constructor(
    readonly vector: Float32Array,
    readonly cap: number,
    readonly interval: number,
  ) {}

  static init(theta: Float32Array, cap = 0.9, interval = 1): EvalEma {
    return new EvalEma(Float32Array.from(theta), cap, interval);
  }

  static restore(state: unknown, vector: Float32Array): EvalEma {
    const s = evalEmaStateSchema.parse(state);
    if (s.length !== vector.length) throw new Error(`eval EMA: state says ${s.length} values, vector has ${vector.length}`);
    return new EvalEma(Float32Array.from(vector), s.cap, s.interval);
  }

  /** After optimizer step k (0-based); returns the decay used, or undefined when k is skipped. */
  update(theta: Float32Array, k: number): number | undefined {
    if ((k + 1) % this.interval !== 0) return undefined;
    const d = evalEmaDecay(k, this.cap);
    mixInto(this.vector, theta, d);
    return d;
  }

  state(): EvalEmaState {
    return { kind: "eval-ema", cap: this.cap, interval: this.interval, length: this.vector.length };
  }
}
