/** Sizes against the machine's memory (issue 14, item 6): refused with one line before allocating. */
import { totalmem } from "node:os";
import { describe, expect, it } from "vitest";
import { checkFitsInMemory } from "../../src/runtime/memory-bound.js";
import { userErrorOf } from "../user-error.js";

describe("checkFitsInMemory", () => {
  it("accepts what fits, up to the machine's memory exactly", () => {
    expect(() => checkFitsInMemory("--batch 4", 4, "samples", 1000, "x", 4000)).not.toThrow();
    expect(() => checkFitsInMemory("--batch 32", 32, "samples", 9216, "x")).not.toThrow();
  });

  it("refuses one byte more, naming the flag, the sizes and the machine's memory (hand-computed)", () => {
    expect(() => checkFitsInMemory("--batch 4", 4, "samples", 1000.25, "x", 4000)).toThrow(/more than this machine's 4\.0 kB/);
    const e = userErrorOf(() => checkFitsInMemory("--batch 4", 4, "samples in one batch", 1500, "tokens", 5000));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe("--batch 4: 4 samples in one batch of at least 1.5 kB each (tokens) need 6.0 kB, more than this machine's 5.0 kB of memory");
  });

  it("compares with os.totalmem() by default", () => {
    const e = userErrorOf(() => checkFitsInMemory("--group-size 100000000", 1e8, "rollouts", 6144, "tokens"));
    expect(e.message).toContain("614.4 GB");
    expect(totalmem()).toBeLessThan(1e8 * 6144);
  });
});
