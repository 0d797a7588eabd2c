/** `--init-weights` (train) and `--weights` (eval): ema or base, else one line naming the flag (exit 2). */
import { BASE_WEIGHT_CHOICES, type BaseWeightChoice } from "../model/index.js";
import { UserError } from "../runtime/errors.js";

export function baseWeightChoice(flag: string, value: string): BaseWeightChoice {
  if ((BASE_WEIGHT_CHOICES as readonly string[]).includes(value)) return value as BaseWeightChoice;
  throw new UserError(`${flag} ${JSON.stringify(value)}: expected ${BASE_WEIGHT_CHOICES.join(" or ")}`, 2);
}
