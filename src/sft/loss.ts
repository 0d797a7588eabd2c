/**
 * The cold-start SFT loss on the flat base vector (DESIGN §4, Eq. 1–2): the target tokens are
 * noised, the reference tokens stay clean (Kontext), and the model regresses the velocity:
 *   x_t = (1 − t)·x0 + t·x1                          (1)
 *   L = mean_batch ‖(x1 − x0) − v_θ(x_t, t, ref, text)‖²   (2, mean over token dimensions)
 * With the config's `editWeight`, Eq. 2's mean over token dimensions is weighted by w (batch.ts `editWeights`).
 */
import { flowMatchingLossPerSample, noisify, velocityTarget, weightedFlowMatchingLossPerSample } from "../flow/index.js";
import type { EditModel } from "../model/index.js";
import type { JaxArray } from "../runtime/jax.js";
import type { LossFn } from "../runtime/train-step.js";

/** Loss over (params; x0, x1, t, ref, text[, w]) for `makeTrainStep`; `weighted`: w is passed. Consumes its arguments. */
export function sftLoss(model: EditModel, weighted = false): LossFn {
  return (params: JaxArray, ...args: JaxArray[]): JaxArray => {
    const [x0, x1, t, ref, text, w] = args as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray, JaxArray | undefined];
    const xt = noisify(x0.ref, x1.ref, t.ref); // Eq. 1
    const v = model.velocity(params, null, xt, t, ref, text);
    if (weighted) return weightedFlowMatchingLossPerSample(v, velocityTarget(x0, x1), w!).mean(); // Eq. 2, edit-weighted
    return flowMatchingLossPerSample(v, velocityTarget(x0, x1)).mean(); // Eq. 2
  };
}
