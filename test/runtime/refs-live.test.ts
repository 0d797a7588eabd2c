import { beforeAll, describe, expect, it } from "vitest";
import { initJax } from "../../src/runtime/jax.js";
import { fromFloat32, peekFloat32, toFloat32 } from "../../src/runtime/refs.js";
import { liveArrayCount, trackLiveArrays } from "../../src/runtime/live.js";

describe(".ref helpers and live-array counting", () => {
  beforeAll(async () => {
    await initJax();
    await trackLiveArrays();
  });

  it("counts allocations and releases", async () => {
    const before = liveArrayCount();
    const a = fromFloat32(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const b = a.ref.mul(2);
    await b.blockUntilReady();
    expect(liveArrayCount()).toBe(before + 2);
    expect(Array.from(await peekFloat32(b))).toEqual([2, 4, 6, 8]); // peek keeps b
    a.dispose();
    expect(Array.from(await toFloat32(b))).toEqual([2, 4, 6, 8]); // toFloat32 consumes b
    expect(liveArrayCount()).toBe(before);
  });
});
