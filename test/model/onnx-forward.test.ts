/**
 * The ONNX export of the velocity (src/model/onnx), run by onnxruntime-node, against the jax-js forward
 * on the same weights and inputs: tiny and small presets, base only and with a LoRA adapter whose A and
 * B are both non-zero (so the in-graph merge W + (α/r)·B A matters), guidance per row, and one
 * instruction with no known word (all PAD: the masked-softmax branch that keeps nothing).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildModel, presetConfig, tokenizeBatch, type EditModel, type LoraConfig } from "../../src/model/index.js";
import { createOnnxVelocity, loadOrt } from "../../src/model/onnx/session.js";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";

/**
 * Relative tolerance (of max |v|). Both sides compute in float32 but not in the same order: MLAS and
 * jax-js block their matmul sums differently (K up to hidden + mlp = 480), ORT's LayerNormalization is
 * one fused kernel, and exp/sin/cos/sigmoid differ by a few ulp; through 4–5 residual blocks this gave
 * max |Δ| = 2.5e-6–3.2e-6·max|v| (tiny and small, measured). 1e-4 leaves ~30× margin yet is ~1000× below
 * what a wrong op, weight or scale produces (the LoRA check below).
 */
const TOLERANCE = 1e-4;
const LORA: LoraConfig = { rank: 4, alpha: 8, targets: "flow-grpo" };
const ortMissing = await loadOrt().then(
  () => null,
  (err: Error) => err.message,
);

interface Case {
  xt: Float32Array;
  t: Float32Array;
  ref: Float32Array;
  text: Int32Array;
  guidance: Float32Array;
}

function makeCase(m: EditModel, B: number, seed: number): Case {
  const rng = new Rng(seed);
  const n = B * m.tokensPerImage * m.tokenDim;
  const words = ["raise the left arm", "", "turn the head right and zoom out to a wide shot", "lower both arms"];
  return {
    xt: rng.normalArray(n),
    t: rng.uniformArray(B, 0.05, 0.95),
    ref: rng.normalArray(n, 0.5),
    text: tokenizeBatch(Array.from({ length: B }, (_, i) => words[i % words.length]!), m.config),
    guidance: rng.uniformArray(B, 1, 4),
  };
}

async function jaxVelocity(m: EditModel, base: Float32Array, lora: Float32Array | null, x: Case, B: number): Promise<Float32Array> {
  const shape = [B, m.tokensPerImage, m.tokenDim];
  const f = jax.jit((b: JaxArray, l: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray, g: JaxArray) => {
    if (!lora) l.dispose();
    return m.velocity(b, lora ? l : null, xt, t, ref, text, g);
  });
  const out = f(np.array(base), np.array(lora ?? new Float32Array(1)), np.array(x.xt, { shape }), np.array(x.t), np.array(x.ref, { shape }), np.array(x.text, { shape: [B, m.config.textMaxWords], dtype: np.int32 }), np.array(x.guidance));
  return Float32Array.from(await out.data());
}

/** max |a − b| and max |b|. */
function compare(a: Float32Array, b: Float32Array): { maxDiff: number; scale: number } {
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { maxDiff, scale };
}

describe.skipIf(ortMissing !== null)(`ONNX velocity agrees with jax-js${ortMissing ? ` (skipped: ${ortMissing})` : ""}`, () => {
  beforeAll(initJax);

  for (const [preset, lora] of [["tiny", null], ["tiny", LORA], ["small", LORA]] as const) {
    it(`${preset}, ${lora ? `LoRA ${lora.targets} r${lora.rank}` : "base only"}`, async () => {
      const m = buildModel(presetConfig(preset), lora);
      const B = 4;
      const base = m.initBase(3);
      const rng = new Rng(11);
      const loraW = lora ? rng.normalArray(m.loraSize, 0.1) : null;
      const x = makeCase(m, B, 5);
      const expected = await jaxVelocity(m, base, loraW, x, B);
      const engine = await createOnnxVelocity(m, 2);
      engine.setWeights(base, loraW);
      const got = await engine.velocity(x, B);
      await engine.release();
      expect(got.length).toBe(expected.length);
      const { maxDiff, scale } = compare(got, expected);
      expect(scale).toBeGreaterThan(0.1);
      expect(maxDiff).toBeLessThan(TOLERANCE * scale);
      if (loraW) {
        // The adapter moves the output far beyond the tolerance, so the agreement above covers the merge.
        const baseOnly = await jaxVelocity(buildModel(presetConfig(preset)), base, null, x, B);
        expect(compare(baseOnly, expected).maxDiff).toBeGreaterThan(100 * TOLERANCE * scale);
      }
    });
  }
});
