/** Shared test fixtures: a tiny model, a fixed batch and the flow-matching loss (Eq. 1–2). */
import { np, type JaxArray } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";
import { buildModel, presetConfig, tokenizeBatch, type EditModel, type LoraConfig } from "../../src/model/index.js";

export interface HostBatch {
  B: number;
  x0: Float32Array;
  x1: Float32Array;
  ref: Float32Array;
  t: Float32Array;
  text: Int32Array;
}

export function tinyModel(lora?: LoraConfig): EditModel {
  return buildModel(presetConfig("tiny"), lora);
}

export function makeBatch(m: EditModel, B: number, seed: number): HostBatch {
  const rng = new Rng(seed);
  const n = B * m.tokensPerImage * m.tokenDim;
  const words = ["raise the left arm", "turn the head right", "zoom out to a wide shot", "lower both arms and step left"];
  return {
    B,
    x0: rng.normalArray(n, 0.5),
    x1: rng.normalArray(n),
    ref: rng.normalArray(n, 0.5),
    t: rng.uniformArray(B, 0.05, 0.95),
    text: tokenizeBatch(Array.from({ length: B }, (_, i) => words[i % words.length]!), m.config),
  };
}

/** Device arrays of the batch, in the order the loss takes them: x0, x1, t, ref, text. */
export function batchArrays(m: EditModel, b: HostBatch): [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray] {
  const shape = [b.B, m.tokensPerImage, m.tokenDim];
  return [
    np.array(b.x0, { shape }),
    np.array(b.x1, { shape }),
    np.array(b.t, { shape: [b.B] }),
    np.array(b.ref, { shape }),
    np.array(b.text, { shape: [b.B, m.config.textMaxWords], dtype: np.int32 }),
  ];
}

/** Eq. 1–2: x_t = (1 − t)·x0 + t·x1, L = mean ‖v_θ(x_t, t) − (x1 − x0)‖². Consumes its arguments. */
export function flowMatchingLoss(m: EditModel, base: JaxArray, lora: JaxArray | null, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray): JaxArray {
  const tb = t.ref.reshape([t.shape[0]!, 1, 1]);
  const xt = x0.ref.mul(np.subtract(1, tb.ref)).add(x1.ref.mul(tb));
  const v = m.velocity(base, lora, xt, t, ref, text);
  return np.square(v.sub(x1.sub(x0))).mean();
}
