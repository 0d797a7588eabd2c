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

  it("pad words are masked out of the text encoding", async () => {
    const v = await run(base, batch);
    // Rewrite the PAD embedding row and the position embeddings of slots every instruction leaves empty.
    const W = m.config.textMaxWords;
    let used = 0;
    for (let b = 0; b < batch.B; b++) for (let i = 0; i < W; i++) if (batch.text[b * W + i] !== 0) used = Math.max(used, i + 1);
    expect(used).toBeLessThan(W);
    const altered = base.slice();
    const tok = m.baseSpec.find((e) => e.name === "text_encoder.token_embedding.weight")!;
    const pos = m.baseSpec.find((e) => e.name === "text_encoder.position_embedding.weight")!;
    const D = m.config.jointAttentionDim;
    for (let d = 0; d < D; d++) altered[tok.offset + d] = 5 + d;
    for (let i = used * D; i < W * D; i++) altered[pos.offset + i] = -3;
    expect(maxDiff(v, await run(altered, batch))).toBe(0);
  });
});
