import { describe, expect, it } from "vitest";
import { initJax, jax, np } from "../src/runtime/jax.js";

describe("jax-js runtime on Node 20", () => {
  it("initialises the wasm backend with the worker shim and runs einsum (iterator helpers)", async () => {
    await initJax();
    expect(typeof (globalThis as Record<string, unknown>).Worker).toBe("function");
    const a = np.array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = np.array([[1], [0], [-1]]);
    const c = np.einsum("ij,jk->ik", a, b);
    expect(Array.from(await c.data())).toEqual([-2, -2]);
    const f = jax.jit((x: jax.Array) => x.mul(2).add(1));
    expect(Array.from(await f(np.array([1, 2])).data())).toEqual([3, 5]);
  });
});
