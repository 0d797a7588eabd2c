/**
 * The weight β_t of the implicit reward (Eq. 8) as a function of the time t (t = 1 is noise).
 * ε-space and x0-space objectives differ from the velocity-space one by these factors
 * (anchors-algorithms.md §4.1): ‖ε − ε_θ‖² = (1 − t)²‖v − v_θ‖² (Eq. 7), ‖x0 − x0_θ‖² = t²‖v − v_θ‖².
 * - "constant":  β_t = β (DESIGN §4 default; what every flow-matching DPO implementation uses)
 * - "one-minus-t-squared": β_t = β·(1 − t)² (the ε-space weight carried into velocity space)
 * - "t-squared": β_t = β·t² (the x0-space weight)
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { z } from "zod";

export const betaScheduleSchema = z.enum(["constant", "one-minus-t-squared", "t-squared"]);
export type BetaSchedule = z.infer<typeof betaScheduleSchema>;

/** β_t per sample from t `[B]` (consumed) → `[B]`. */
export function betaT(beta: number, schedule: BetaSchedule, t: JaxArray): JaxArray {
  switch (schedule) {
    case "constant":
      return np.onesLike(t).mul(beta);
    case "one-minus-t-squared":
      return np.square(np.subtract(1, t)).mul(beta);
    case "t-squared":
      return np.square(t).mul(beta);
  }
}
