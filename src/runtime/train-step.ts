/**
 * The train step: ONE jit over flat `params, m, v` that runs valueAndGrad of the loss, global-norm
 * clipping and AdamW, returning four arrays [stats=(loss, gradNorm), params, m, v]
 * (jaxjs-performance.md §2.2, §5). The loss takes the flat trainable vector first, then any extra
 * arrays (frozen base weights, the batch), so full fine-tuning and LoRA training share it.
 */
import { jax, np, type JaxArray } from "./jax.js";
import { adamwStepScalars, adamwUpdate, type AdamWHyper } from "./adamw.js";
import { fromFloat32 } from "./refs.js";

/** Mutable optimiser state; `step()` replaces the three arrays and increments `t` (steps taken). */
export interface TrainState {
  params: JaxArray;
  m: JaxArray;
  v: JaxArray;
  t: number;
}

export type LossFn = (trainable: JaxArray, ...args: JaxArray[]) => JaxArray;

export interface TrainStep {
  /**
   * One AdamW step. Consumes `args` (pass `x.ref` for arrays you keep, e.g. frozen weights) and
   * updates `state` in place. `lr` overrides `hp.lr` for this step (schedules) without recompiling.
   */
  step(state: TrainState, args: JaxArray[], lr?: number): Promise<{ loss: number; gradNorm: number }>;
  /** Release the compiled program. */
  dispose(): void;
}

/** Fresh optimiser state for a flat parameter vector (moments zero, t = 0). */
export function initTrainState(params: Float32Array, moments?: { m: Float32Array; v: Float32Array; t: number }): TrainState {
  if (moments && (moments.m.length !== params.length || moments.v.length !== params.length)) {
    throw new RangeError(`initTrainState: moments have ${moments.m.length}/${moments.v.length} entries, params ${params.length}`);
  }
  return {
    params: fromFloat32(params),
    m: moments ? fromFloat32(moments.m) : np.zeros([params.length], { dtype: np.float32 }),
    v: moments ? fromFloat32(moments.v) : np.zeros([params.length], { dtype: np.float32 }),
    t: moments?.t ?? 0,
  };
}

export function makeTrainStep(loss: LossFn, hp: AdamWHyper): TrainStep {
  const program = jax.jit((params: JaxArray, m: JaxArray, v: JaxArray, scalars: JaxArray, ...args: JaxArray[]) => {
    const [value, grad] = jax.valueAndGrad(loss)(params.ref, ...args);
    const [p, m2, v2, gnorm] = adamwUpdate(params, grad, m, v, scalars, hp);
    return [np.stack([value, gnorm]), p, m2, v2];
  });
  return {
    async step(state, args, lr) {
      const scalars = fromFloat32(adamwStepScalars(hp, state.t + 1, lr ?? hp.lr));
      const [stats, p, m, v] = program(state.params, state.m, state.v, scalars, ...args) as JaxArray[];
      state.params = p!;
      state.m = m!;
      state.v = v!;
      state.t += 1;
      const s = await stats!.data();
      return { loss: Number(s[0]), gradNorm: Number(s[1]) };
    },
    dispose() {
      program.dispose();
    },
  };
}
