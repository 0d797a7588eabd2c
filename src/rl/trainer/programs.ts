/**
 * The compiled programs of the trainer (jaxjs-performance.md §2.2, §5): everything works on FLAT
 * vectors (base weights, LoRA θ, Adam m and v) and each jit returns few arrays.
 * - `accumulate`: one forward + backward of the algorithm's loss on a micro-batch, adding ∂loss/∂θ to an
 *   accumulator; returns [stats, acc]. Gradients are only ever taken inside this jit (eager grad leaks in
 *   jax-js 0.1.25).
 * - `adamw`: the optimizer step on the accumulated gradient.
 * The velocity of the rollouts and the no-gradient forwards (v_old, v_ref) is the run's forward (model/forward.ts).
 * Every program consumes its arguments (pass `x.ref` to keep one).
 */
import { jax, lax, np, type JaxArray } from "../../runtime/jax.js";
import { adamwUpdate, type AdamWHyper } from "../../runtime/adamw.js";
import { cpsStepLogProb, cpsTransition, flowSdeTransition, sdeStepLogProb } from "../../flow/index.js";
import type { EditModel } from "../../model/index.js";
import type { BoundLoss } from "../recipe.js";

/** Scalar aux values reported per micro-batch (when the loss has them), and per-row ones. */
export const SCALAR_STATS = ["kl", "oldDeviate", "clipFrac", "approxKl", "ratioMean", "margin", "implicitAcc", "accuracy"] as const;
export const ROW_STATS = ["delta", "sigma"] as const;
export type ScalarStat = (typeof SCALAR_STATS)[number];
export type RowStat = (typeof ROW_STATS)[number];

/** Where each statistic sits in the stats vector `[loss, scalars…, rows…]` a micro-batch returns. */
export interface StatsLayout {
  scalars: ScalarStat[];
  rows: RowStat[];
}

export interface SdeSpec {
  kind: "flow-sde" | "cps";
  noiseLevel: number;
}

/** The conditioning and row weights every micro-batch carries: x_t's time, reference tokens, word ids. */
interface Rows {
  t: JaxArray;
  ref: JaxArray;
  text: JaxArray;
  weight: JaxArray;
}

/**
 * Micro-batch inputs on the device, by name, per loss input type. `vRef` only when the algorithm needs
 * the reference (with the old policy as the reference, v_old stands in for it inside the program).
 */
export interface SamplesBatch extends Rows {
  xt: JaxArray;
  v: JaxArray;
  vOld: JaxArray;
  /** The probability that the sample is preferred (the recipe's signal). */
  pref: JaxArray;
  vRef?: JaxArray;
}
export interface LabelledBatch extends Rows {
  xt: JaxArray;
  v: JaxArray;
  label: JaxArray;
  vRef: JaxArray;
}
export interface PairsBatch extends Rows {
  xtW: JaxArray;
  xtL: JaxArray;
  vW: JaxArray;
  vL: JaxArray;
  vRefW: JaxArray;
  vRefL: JaxArray;
}
export interface SdeBatch extends Rows {
  xt: JaxArray;
  xNext: JaxArray;
  tNext: JaxArray;
  logpOld: JaxArray;
  adv: JaxArray;
  vRef?: JaxArray;
}
export type MicroBatch = SamplesBatch | LabelledBatch | PairsBatch | SdeBatch;

export interface Programs {
  /** Adds the micro-batch gradient to `acc`; returns [stats, acc']. Consumes everything. */
  accumulate(lora: JaxArray, acc: JaxArray, base: JaxArray, batch: MicroBatch): [JaxArray, JaxArray];
  /** The layout of the stats vector (known after the first accumulate call). */
  layout(): StatsLayout;
  /** [params', m', v', gradNorm]. `scalars` from `adamwStepScalars`. */
  adamw(params: JaxArray, grad: JaxArray, m: JaxArray, v: JaxArray, scalars: JaxArray): [JaxArray, JaxArray, JaxArray, JaxArray];
  dispose(): void;
}

/** Packs a loss's aux into one vector, disposing the parts not reported. */
function packStats(loss: JaxArray, aux: Record<string, JaxArray>, layout: StatsLayout): JaxArray {
  const parts: JaxArray[] = [loss.ref.reshape([1])];
  for (const k of layout.scalars) parts.push((aux[k] as JaxArray).reshape([1]));
  for (const k of layout.rows) parts.push(aux[k] as JaxArray);
  const used = new Set<string>([...layout.scalars, ...layout.rows]);
  for (const [k, a] of Object.entries(aux)) if (!used.has(k)) a.dispose();
  return np.concatenate(parts, 0);
}

function layoutOf(aux: Record<string, JaxArray>): StatsLayout {
  return {
    scalars: SCALAR_STATS.filter((k) => aux[k] !== undefined),
    rows: ROW_STATS.filter((k) => aux[k] !== undefined),
  };
}

/**
 * `referenceIsOld`: the loss's reference is the old policy (the recipe says so), so v_old is
 * passed as v_ref too and no reference forward runs.
 */
export function buildPrograms(model: EditModel, loss: BoundLoss, hp: AdamWHyper, sde: SdeSpec | null, referenceIsOld: boolean): Programs {
  let statsLayout: StatsLayout | null = null;

  /** The loss of one micro-batch (of the loss's input type) as a function of θ, with its stats as aux. */
  const objective = (base: JaxArray, batch: MicroBatch) => (lora: JaxArray): [JaxArray, JaxArray] => {
    let out: { loss: JaxArray; aux: Record<string, JaxArray> };
    switch (loss.inputs) {
      case "samples": {
        const { xt, t, ref, text, v, vOld, pref, weight, vRef: given } = batch as SamplesBatch;
        const vRef = given ?? (referenceIsOld ? vOld.ref : undefined);
        const vTheta = model.velocity(base, lora, xt, t.ref, ref, text);
        out = loss.run({ vTheta, vOld, ...(vRef ? { vRef } : {}), v, t, pref, weight });
        break;
      }
      case "labelled": {
        const { xt, t, ref, text, v, label, weight, vRef } = batch as LabelledBatch;
        const vTheta = model.velocity(base, lora, xt, t.ref, ref, text);
        out = loss.run({ vTheta, vRef, v, t, label, weight });
        break;
      }
      case "pairs": {
        const { xtW, xtL, t, ref, text, vW, vL, weight, vRefW, vRefL } = batch as PairsBatch;
        const P = xtW.shape[0]!;
        const xt = np.concatenate([xtW, xtL], 0);
        const tt = np.concatenate([t.ref, t.ref], 0);
        const refs = np.concatenate([ref.ref, ref], 0);
        const texts = np.concatenate([text.ref, text], 0);
        const [vw, vl] = np.split(model.velocity(base, lora, xt, tt, refs, texts), [P], 0) as [JaxArray, JaxArray];
        out = loss.run({ winner: { vTheta: vw, vRef: vRefW, v: vW }, loser: { vTheta: vl, vRef: vRefL, v: vL }, t, weight });
        break;
      }
      case "sde-steps": {
        if (!sde) throw new Error("buildPrograms: an SDE loss needs the SDE spec");
        const { xt, xNext, t, tNext, ref, text, logpOld, adv, weight, vRef } = batch as SdeBatch;
        const vTheta = model.velocity(base, lora, xt.ref, t.ref, ref, text);
        const stepLogProb = sde.kind === "flow-sde" ? sdeStepLogProb : cpsStepLogProb;
        const transition = sde.kind === "flow-sde" ? flowSdeTransition : cpsTransition;
        let kl: { meanTheta: JaxArray; meanRef: JaxArray; std: JaxArray } | undefined;
        if (vRef) {
          const th = transition(vTheta.ref, xt.ref, t.ref, tNext.ref, sde.noiseLevel);
          const rf = transition(vRef, xt.ref, t.ref, tNext.ref, sde.noiseLevel);
          rf.std.dispose();
          kl = { meanTheta: th.mean, meanRef: rf.mean, std: th.std };
        }
        const logp = stepLogProb(vTheta, xt, xNext, t, tNext, sde.noiseLevel); // log π_θ(x_{k+1} | x_k)
        out = loss.run({ logp, logpOld, adv, weight, ...(kl ? { kl } : {}) });
        break;
      }
    }
    statsLayout ??= layoutOf(out.aux);
    const stats = packStats(out.loss.ref, out.aux, statsLayout);
    return [out.loss, lax.stopGradient(stats)];
  };

  const accumulateJit = jax.jit((lora: JaxArray, acc: JaxArray, base: JaxArray, batch: MicroBatch) => {
    const [[value, stats], grad] = jax.valueAndGrad(objective(base, batch), { hasAux: true })(lora);
    value.dispose();
    return [stats, acc.add(grad)];
  });

  const adamwJit = jax.jit((params: JaxArray, grad: JaxArray, m: JaxArray, v: JaxArray, scalars: JaxArray) => adamwUpdate(params, grad, m, v, scalars, hp));

  return {
    accumulate(lora, acc, base, batch) {
      const [stats, next] = accumulateJit(lora, acc, base, batch) as unknown as [JaxArray, JaxArray];
      return [stats, next];
    },
    layout() {
      if (!statsLayout) throw new Error("stats layout is known after the first accumulate call");
      return statsLayout;
    },
    adamw: (params, grad, m, v, scalars) => adamwJit(params, grad, m, v, scalars) as unknown as [JaxArray, JaxArray, JaxArray, JaxArray],
    dispose() {
      accumulateJit.dispose();
      adamwJit.dispose();
    },
  };
}
