import { beforeAll, describe, expect, it } from "vitest";
import { initJax, np } from "../../src/runtime/jax.js";
import { disposeAll, fromFloat32, peekFloat32, toFloat32, toScalar, uses } from "../../src/runtime/refs.js";
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
    disposeAll([a, b]);
    expect(liveArrayCount()).toBe(before);
  });

  it("uses(x, n) hands out n owned handles; toFloat32/toScalar consume", async () => {
    const before = liveArrayCount();
    const [x1, x2, x3] = uses(np.array([1, 2]).astype(np.float32), 3);
    const s = await toScalar(x1!.add(x2!).sum()); // 2·(1 + 2)
    expect(s).toBe(6);
    expect(Array.from(await toFloat32(x3!))).toEqual([1, 2]);
    expect(liveArrayCount()).toBe(before);
    expect(() => uses(np.array([1]), 0)).toThrow(RangeError);
  });
});
