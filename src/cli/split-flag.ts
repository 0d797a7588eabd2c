/** The `--split` flag of every command: one of the dataset splits, or one line naming the flag (exit 2). */
import { SPLITS, type Split } from "../data/index.js";
import { UserError } from "../runtime/errors.js";

export const SPLIT_HELP = SPLITS.join(" | ");

export function splitFlag(text: string): Split {
  if (!(SPLITS as readonly string[]).includes(text)) throw new UserError(`--split ${JSON.stringify(text)}: expected one of ${SPLITS.join(", ")}`, 2);
  return text as Split;
}
