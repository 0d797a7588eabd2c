/** The UserError a function throws (the test fails when it throws nothing or something else). */
import { UserError } from "../src/runtime/errors.js";

export function userErrorOf(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}
