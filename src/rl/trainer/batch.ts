/**
 * One micro-batch of an optimizer step, by name (programs.ts `MicroBatch`), for the loss's input type:
 * the rows' conditioning and weights, then
 *   samples / labelled: x0 re-noised at the row's t (Eq. 1–2) with fresh ε (or the group's shared ε,
 *     row-noise.ts), the per-sample signal, and the no-gradient forwards the recipe needs (v_old, v_ref),
 *     on the run's forward engine (model/forward.ts) with the base it holds;
 *   pairs: winner and loser noised with the same ε and t, and both reference forwards;
 *   sde-steps: the recorded SDE transitions with their log-probs, the advantage, and v_ref when needed.
 * Rows past `real` repeat the last one with weight 0 (the batch size is fixed, so nothing recompiles).
 */
import { np, type JaxArray } from "../../runtime/jax.js";
import type { Rng } from "../../runtime/rng.js";
import { noisify, velocityTarget } from "../../flow/index.js";
import type { BoundVelocity, Forward } from "../../model/index.js";
import type { LossInputKind } from "../recipe.js";
import type { Dims, Prepared, Sample } from "./epoch-data.js";
import type { MicroBatch } from "./programs.js";
import type { StepRecord } from "./rollout.js";
import type { RowNoise, TrainNoise } from "./row-noise.js";
import type { EpochSignal } from "./signal.js";

/** A row of an optimizer step: a unit (sample or pair) at one timestep / recorded SDE step. */
export interface Row {
  unit: number;
  t: number;
  /** Which of the unit's training timesteps (forward-process rows). */
  j?: number;
  step?: StepRecord;
}

export interface BatchSources {
  /** The run's forward, its base set: the no-gradient forwards run on it with `old` or `refLora`. */
  forward: Forward;
  dims: Dims;
  inputs: LossInputKind;
  samples: readonly Sample[];
  signal: EpochSignal;
  prepared: readonly Prepared[];
  plan: RowNoise;
  noiseMode: TrainNoise;
  rng: Rng;
  /** The old policy's and the reference's LoRA, when the recipe needs their forwards (unchanged during the update's steps). */
  old: Float32Array | null;
  refLora: Float32Array | null;
}

/** The micro-batch of rows `mb` (`real` of them real), each real row weighing `w`. */
export async function buildMicroBatch(c: BatchSources, mb: readonly Row[], real: number, w: number): Promise<MicroBatch> {
  const { samples, signal, rng } = c;
  const { NP, N, P, W } = c.dims;
  const MB = mb.length;
  const shape = [MB, N, P];
  const weight = np.array(Float32Array.from(mb, (_, k) => (k < real ? w : 0)));
  const tHost = Float32Array.from(mb, (r) => r.t);
  const t = np.array(tHost);
  const sampleOf = (r: Row): number => (c.inputs === "pairs" ? signal.pairs[r.unit]!.winner : r.unit);
  const condRef = new Float32Array(MB * NP);
  const condText = new Int32Array(MB * W);
  mb.forEach((r, k) => {
    const p = c.prepared[samples[sampleOf(r)]!.group]!;
    condRef.set(p.refTokens, k * NP);
    condText.set(p.text, k * W);
  });
  const ref = np.array(condRef, { shape });
  const text = np.array(condText, { shape: [MB, W], dtype: np.int32 });
  const gather = (f: (r: Row) => Float32Array): JaxArray => {
    const buf = new Float32Array(MB * NP);
    mb.forEach((r, k) => buf.set(f(r), k * NP));
    return np.array(buf, { shape });
  };
  let bound: BoundVelocity | null = null;
  /** v of the frozen LoRA `lora` at (xt, the rows' times), xt consumed. */
  const forward = async (lora: Float32Array, xt: JaxArray): Promise<JaxArray> => {
    bound ??= c.forward.bind({ B: MB, ref: condRef, text: condText });
    c.forward.setLora(lora);
    const y = await bound.velocity(xt, tHost);
    await y.blockUntilReady();
    return y;
  };
  const perRow = (f: (r: Row) => number): JaxArray => np.array(Float32Array.from(mb, f));

  try {
    return await assemble();
  } finally {
    (bound as BoundVelocity | null)?.done();
  }

  async function assemble(): Promise<MicroBatch> {
    switch (c.inputs) {
      case "sde-steps": {
        const xt = gather((r) => r.step!.xt);
        const xNext = gather((r) => r.step!.xNext);
        const tNext = perRow((r) => r.step!.tNext);
        const logpOld = perRow((r) => r.step!.logp);
        const adv = perRow((r) => signal.value[r.unit]!);
        const vRef = c.refLora ? await forward(c.refLora, xt.ref) : null;
        return { xt, xNext, t, tNext, ref, text, logpOld, adv, weight, ...(vRef ? { vRef } : {}) };
      }
      case "pairs": {
        const x0W = gather((r) => samples[signal.pairs[r.unit]!.winner]!.x0);
        const x0L = gather((r) => samples[signal.pairs[r.unit]!.loser]!.x0);
        const x1 = np.array(rng.normalArray(MB * NP), { shape }); // fresh noise, shared by both sides
        const xtW = noisify(x0W.ref, x1.ref, t.ref); // (1)
        const xtL = noisify(x0L.ref, x1.ref, t.ref); // (1)
        const vW = velocityTarget(x0W, x1.ref); // (2)
        const vL = velocityTarget(x0L, x1); // (2)
        const vRefW = await forward(c.refLora!, xtW.ref);
        const vRefL = await forward(c.refLora!, xtL.ref);
        return { xtW, xtL, t, ref, text, vW, vL, weight, vRefW, vRefL };
      }
      case "samples":
      case "labelled": {
        const x0 = gather((r) => samples[r.unit]!.x0);
        const x1 = c.noiseMode === "per-group" ? gather((r) => c.plan.noise(r.unit, r.j!)!) : np.array(rng.normalArray(MB * NP), { shape }); // ε of each row
        const xt = noisify(x0.ref, x1.ref, t.ref); // (1)
        const v = velocityTarget(x0, x1); // (2)
        const value = perRow((r) => signal.value[r.unit]!);
        if (c.inputs === "labelled") {
          const vRef = await forward(c.refLora!, xt.ref);
            return { xt, t, ref, text, v, label: value, weight, vRef };
        }
        const vOld = await forward(c.old!, xt.ref);
        const vRef = c.refLora ? await forward(c.refLora, xt.ref) : null;
        return { xt, t, ref, text, v, vOld, pref: value, weight, ...(vRef ? { vRef } : {}) };
      }
    }
  }
}
