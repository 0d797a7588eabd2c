/**
 * Exponential moving average of the flat weight vector, updated after every optimizer step:
 *   ema ← d·ema + (1 − d)·θ
 * One small jit over flat vectors (jaxjs-performance.md §2.2).
 */
import { jax, type JaxArray } from "../runtime/jax.js";

export interface Ema {
  /** The new EMA; consumes `ema`, reads `params` without consuming it. */
  update(ema: JaxArray, params: JaxArray): JaxArray;
  dispose(): void;
}

export function makeEma(decay: number): Ema {
  const program = jax.jit((ema: JaxArray, p: JaxArray) => ema.mul(decay).add(p.mul(1 - decay)));
  return {
    update: (ema, params) => program(ema, params.ref),
    dispose: () => program.dispose(),
  };
}
