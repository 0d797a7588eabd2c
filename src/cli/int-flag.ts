/**
 * Integer command-line flags, parsed one way for every command: decimal digits only ("1e3", "0x10"
 * and "" are refused), a lower bound, and one-line UserErrors (exit 2) that name the flag and the text.
 */
import { UserError } from "../runtime/errors.js";

/** The flag's integer value, or undefined when the flag was not given. */
export function optionalInt(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new UserError(`${flag} ${JSON.stringify(text)}: expected an integer >= ${min}`, 2);
  return n;
}

/** The flag's integer value; a flag that was not given is an error. */
export function requiredInt(flag: string, text: string | undefined, min: number): number {
  const n = optionalInt(flag, text, min);
  if (n === undefined) throw new UserError(`${flag} is required`, 2);
  return n;
}
