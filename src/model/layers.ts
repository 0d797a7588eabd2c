/**
 * Traceable building blocks of the MMDiT. Every function consumes its array arguments
 * (jax-js move semantics); parameters come from `ParamBag`s and are taken exactly once.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { sigmoid } from "../runtime/stable-sigmoid.js";
import type { ParamBag } from "./params.js";

/** Base weights, optional LoRA leaves and the LoRA scale α/r. */
export interface Weights {
  p: ParamBag;
  lora: ParamBag | null;
  loraScale: number;
}

/**
 * Effective weight and bias of a Linear in diffusers layout (W [out, in]). A targeted LoRA is merged
 * in weight space inside the trace, W + (α/r)·B A: for these small widths that costs out·in·r
 * multiply-adds instead of rows·(in+out)·r, gives the same gradients, and lets projections fuse.
 */
function effectiveWeight(w: Weights, name: string): [JaxArray, JaxArray] {
  let weight = w.p.take(`${name}.weight`);
  const bias = w.p.take(`${name}.bias`);
  const aName = `${name}.lora_A.weight`;
  if (w.lora?.has(aName)) {
    const a = w.lora.take(aName);
    const b = w.lora.take(`${name}.lora_B.weight`);
    weight = weight.add(np.matmul(b, a).mul(w.loraScale));
  }
  return [weight, bias];
}

/** `nn.Linear` (y = x Wᵀ + b, LoRA included). x: [..., in]. */
export function linear(w: Weights, x: JaxArray, name: string): JaxArray {
  return fusedLinear(w, x, [name])[0]!;
}

/**
 * Several Linears reading the same input, computed as ONE matmul with their weights stacked along
 * `out` (FLUX's fused qkv / linear1), then split back. Returns one output per name.
 */
export function fusedLinear(w: Weights, x: JaxArray, names: string[]): JaxArray[] {
  const parts = names.map((n) => effectiveWeight(w, n));
  const weight = parts.length === 1 ? parts[0]![0] : np.concatenate(parts.map((p) => p[0]), 0);
  const bias = parts.length === 1 ? parts[0]![1] : np.concatenate(parts.map((p) => p[1]), 0);
  const [outF, inF] = weight.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const y = np.matmul(x.reshape([-1, inF]), weight.transpose()).add(bias).reshape([...lead, outF]);
  if (parts.length === 1) return [y];
  const cuts: number[] = [];
  let acc = 0;
  for (const p of parts.slice(0, -1)) cuts.push((acc += p[0].shape[0]!));
  return np.split(y, cuts, -1);
}

export function silu(x: JaxArray): JaxArray {
  return x.ref.mul(sigmoid(x));
}

/** GELU, tanh approximation (as FLUX), in its exactly equal sigmoid form x·σ(2c(x + 0.044715x³)), c = √(2/π). */
export function gelu(x: JaxArray): JaxArray {
  const cube = x.ref.mul(x.ref).mul(x.ref);
  const inner = x.ref.add(cube.mul(0.044715)).mul(1.5957691216057308);
  return x.mul(sigmoid(inner));
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
