/**
 * Traceable building blocks of the MMDiT. Every function consumes its array arguments
 * (jax-js move semantics); parameters come from `ParamBag`s and are taken exactly once.
 */
import { nn, np, type JaxArray } from "../runtime/jax.js";
import type { ParamBag } from "./params.js";

/** Base weights, optional LoRA leaves and the LoRA scale α/r. */
export interface Weights {
  p: ParamBag;
  lora: ParamBag | null;
  loraScale: number;
}

/** `nn.Linear` in diffusers layout (W [out, in]) plus LoRA if the module is targeted. x: [..., in]. */
export function linear(w: Weights, x: JaxArray, name: string): JaxArray {
  const weight = w.p.take(`${name}.weight`);
  const bias = w.p.take(`${name}.bias`);
  const [outF, inF] = weight.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inF]);
  const aName = `${name}.lora_A.weight`;
  let y: JaxArray;
  if (w.lora?.has(aName)) {
    const a = w.lora.take(aName);
    const b = w.lora.take(`${name}.lora_B.weight`);
    const down = np.matmul(x2.ref, a.transpose()).mul(w.loraScale); // [n, r]
    y = np.matmul(x2, weight.transpose()).add(np.matmul(down, b.transpose()));
  } else {
    y = np.matmul(x2, weight.transpose());
  }
  return y.add(bias).reshape([...lead, outF]);
}

export function silu(x: JaxArray): JaxArray {
  return x.ref.mul(nn.sigmoid(x));
}

/** GELU, tanh approximation (as FLUX), in its exactly equal sigmoid form x·σ(2c(x + 0.044715x³)), c = √(2/π). */
export function gelu(x: JaxArray): JaxArray {
  const inner = x.ref.add(np.power(x.ref, 3).mul(0.044715)).mul(1.5957691216057308);
  return x.mul(nn.sigmoid(inner));
}

/** LayerNorm over the last axis without affine parameters (eps 1e-6, as FLUX). */
export function layerNorm(x: JaxArray): JaxArray {
  const mu = x.ref.mean(-1, { keepdims: true });
  const xc = x.sub(mu);
  const variance = np.square(xc.ref).mean(-1, { keepdims: true });
  return xc.div(np.sqrt(variance.add(1e-6)));
}

/** RMSNorm over the last axis with a learned scale (QK-RMSNorm, eps 1e-6). */
export function rmsNorm(x: JaxArray, weight: JaxArray): JaxArray {
  const ms = np.square(x.ref).mean(-1, { keepdims: true });
  return x.div(np.sqrt(ms.add(1e-6))).mul(weight);
}

/** adaLN: (1 + scale)·x + shift, with shift/scale [B, 1, D] broadcast over tokens. */
export function modulate(x: JaxArray, shift: JaxArray, scale: JaxArray): JaxArray {
  return x.mul(scale.add(1)).add(shift);
}

/** Modulation vectors: Linear(SiLU(vec)) split into k chunks of [B, 1, D]. `vecAct` is SiLU(vec). */
export function modulation(w: Weights, vecAct: JaxArray, name: string, k: number): JaxArray[] {
  const y = linear(w, vecAct, name); // [B, k·D]
  const [B, kd] = y.shape as [number, number];
  return np.split(y.reshape([B, k, kd / k]), k, 1);
}

/** Sinusoidal embedding of 1000·x (diffusers `Timesteps(…, flip_sin_to_cos=True, shift 0)`): [B] → [B, dim], cos first. */
export function timestepEmbedding(x: JaxArray, dim: number): JaxArray {
  const half = dim / 2;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const B = x.shape[0]!;
  const arg = x.reshape([B, 1]).mul(1000).mul(np.array(freqs, { shape: [1, half] }));
  return np.concatenate([np.cos(arg.ref), np.sin(arg)], -1);
}

/** Linear → SiLU → Linear (diffusers `TimestepEmbedding` / `PixArtAlphaTextProjection` with SiLU). */
export function mlpEmbedder(w: Weights, x: JaxArray, name: string): JaxArray {
  return linear(w, silu(linear(w, x, `${name}.linear_1`)), `${name}.linear_2`);
}

/** [B, T, D] → [B, T, H, hd]. */
export function toHeads(x: JaxArray, heads: number): JaxArray {
  const [B, T, D] = x.shape as [number, number, number];
  return x.reshape([B, T, heads, D / heads]);
}
