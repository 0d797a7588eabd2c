/**
 * The cold-start SFT loss on the flat base vector (DESIGN §4, Eq. 1–2): the target tokens are
 * noised, the reference tokens stay clean (Kontext), and the model regresses the velocity:
 *   x_t = (1 − t)·x0 + t·x1                          (1)
 *   L = mean_batch ‖(x1 − x0) − v_θ(x_t, t, ref, text)‖²   (2, mean over token dimensions)
 */
import { flowMatchingLossPerSample, noisify, velocityTarget } from "../flow/index.js";
import type { EditModel } from "../model/index.js";
import type { JaxArray } from "../runtime/jax.js";
import type { LossFn } from "../runtime/train-step.js";

/** Loss over (params; x0, x1, t, ref, text) for `makeTrainStep`. Consumes its arguments. */
export function sftLoss(model: EditModel): LossFn {
  return (params: JaxArray, ...args: JaxArray[]): JaxArray => {
    const [x0, x1, t, ref, text] = args as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray];
    const xt = noisify(x0.ref, x1.ref, t.ref); // Eq. 1
    const v = model.velocity(params, null, xt, t, ref, text);
    return flowMatchingLossPerSample(v, velocityTarget(x0, x1)).mean(); // Eq. 2
  };
}
