/** Integer flags: one parser for every command. */
import { describe, expect, it } from "vitest";
import { optionalInt, requiredInt } from "../../src/cli/int-flag.js";
import { userErrorOf } from "../user-error.js";


describe("optionalInt / requiredInt", () => {
  it("parses decimal integers at or above the bound; absent is undefined for optionalInt", () => {
    expect(optionalInt("--seeds", "3", 1)).toBe(3);
    expect(optionalInt("--seed", "0", 0)).toBe(0);
    expect(optionalInt("--seed", " 7 ", 0)).toBe(7);
    expect(optionalInt("--epochs", undefined, 1)).toBeUndefined();
    expect(requiredInt("--steps", "6", 1)).toBe(6);
  });

  it.each([
    ["0", 1, /^--x "0": expected an integer >= 1$/],
    ["1e3", 0, /^--x "1e3": expected an integer >= 0$/],
    ["0x10", 0, /expected an integer/],
    ["", 0, /^--x "": expected an integer >= 0$/],
    ["2.5", 0, /expected an integer/],
    ["-1", 0, /expected an integer >= 0/],
    ["99999999999999999999", 0, /expected an integer/],
  ])("refuses %j (min %i) with one line, exit 2", (text, min, message) => {
    const e = userErrorOf(() => optionalInt("--x", text, min));
    expect(e.message).toMatch(message);
    expect(e.exitCode).toBe(2);
  });

  it("requiredInt: a flag that was not given is named", () => {
    const e = userErrorOf(() => requiredInt("--rater-count", undefined, 1));
    expect(e.message).toBe("--rater-count is required");
    expect(e.exitCode).toBe(2);
  });
});
