import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { batchArrays, makeBatch, tinyModel, type HostBatch } from "./fixtures.js";

const m = tinyModel();
const f = jax.jit((base: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray, g: JaxArray) => {
  x1.dispose();
  return m.velocity(base, null, x0, t, ref, text, g);
});

async function run(base: Float32Array, b: HostBatch, guidance = 2.5): Promise<Float32Array> {
  return (await f(np.array(base), ...batchArrays(m, b), np.full([b.B], guidance)).data()) as Float32Array;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => Math.max(s, Math.abs(x - b[i]!)), 0);

describe("Kontext-style MMDiT (tiny)", () => {
  beforeAll(initJax);
  const base = m.initBase(1);
  const batch = makeBatch(m, 2, 3);

  it("returns one velocity per target token, and batch elements do not interact", async () => {
    const v = await run(base, batch);
    expect(v.length).toBe(2 * m.tokensPerImage * m.tokenDim);
    expect(v.every(Number.isFinite)).toBe(true);
    const n = m.tokensPerImage * m.tokenDim;
    const first: HostBatch = { B: 1, x0: batch.x0.slice(0, n), x1: batch.x1.slice(0, n), ref: batch.ref.slice(0, n), t: batch.t.slice(0, 1), text: batch.text.slice(0, m.config.textMaxWords) };
    const alone = await run(base, first);
    expect(maxDiff(alone, v.subarray(0, n))).toBeLessThan(1e-5);
  });

  it("depends on the reference tokens, the instruction, t and guidance", async () => {
    const v = await run(base, batch);
    const changed = (b: Partial<HostBatch>, g = 2.5): Promise<Float32Array> => run(base, { ...batch, ...b }, g);
    expect(maxDiff(v, await changed({ ref: batch.ref.map((x) => -x) }))).toBeGreaterThan(1e-3);
    expect(maxDiff(v, await changed({ text: batch.text.map((x, i) => (i % m.config.textMaxWords === 0 ? 2 : x)) }))).toBeGreaterThan(1e-4);
    expect(maxDiff(v, await changed({ t: batch.t.map((x) => 1 - x) }))).toBeGreaterThan(1e-3);
    expect(maxDiff(v, await changed({}, 1.0))).toBeGreaterThan(1e-4);
    expect(maxDiff(v, await changed({}))).toBe(0); // deterministic
  });

  it("pad words do not change the encoding (masked pooling)", async () => {
    // "raise the left arm" padded vs the same words: the tokenizer pads with 0; any pad slot content is ignored
    const v = await run(base, batch);
    const text = batch.text.slice();
    expect(text[m.config.textMaxWords - 1]).toBe(0);
    const v2 = await run(base, { ...batch, text });
    expect(maxDiff(v, v2)).toBe(0);
  });
});
