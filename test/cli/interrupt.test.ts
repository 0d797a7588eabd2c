/** Two-stage Ctrl-C of the long commands: the first asks the work to stop, the second exits 130 at once. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { interruptible } from "../../src/cli/interrupt.js";

afterEach(() => vi.restoreAllMocks());

describe("interruptible", () => {
  it("the first SIGINT sets stopping(); the work returns; the listener is gone afterwards", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const before = process.listenerCount("SIGINT");
    const seen: boolean[] = [];
    const out = await interruptible("finishing", async (stopping) => {
      seen.push(stopping());
      process.emit("SIGINT");
      seen.push(stopping());
      return "done";
    });
    expect(out).toBe("done");
    expect(seen).toEqual([false, true]);
    expect(String(stderr.mock.calls[0]?.[0])).toBe("portraitrl: interrupt: finishing (Ctrl-C again to quit now)\n");
    expect(process.listenerCount("SIGINT")).toBe(before);
  });

  it("a second SIGINT exits with 130 at once", async () => {
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const exit = vi.spyOn(process, "exit").mockImplementation(() => undefined as never);
    await interruptible("finishing", async () => {
      process.emit("SIGINT");
      expect(exit).not.toHaveBeenCalled();
      process.emit("SIGINT");
    });
    expect(exit).toHaveBeenCalledWith(130);
  });

  it("a failing work still removes the listener", async () => {
    const before = process.listenerCount("SIGINT");
    await expect(interruptible("x", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});
