/**
 * The building blocks of ../layers.ts, ../attention.ts and ../rope.ts as ONNX nodes, op for op in the
 * same order (so the two forwards differ only by float rounding), except where a fused ONNX kernel
 * computes the same function: Gemm (x Wᵀ + b in one call, transB) and LayerNormalization (no affine).
 * The batch dimension is left free (-1 in every Reshape); every other dimension is static.
 *
 * σ is ONNX Sigmoid without ../../runtime/stable-sigmoid.ts's clamp of z at −80: the clamp changes the
 * value by less than σ(−80) ≈ 1.8e−35 and exists only for the gradient, which this forward never takes.
 */
import type { Graph, Params, Value } from "./graph.js";

/** Base weights, optional LoRA leaves and the LoRA scale α/r (../layers.ts `Weights`). */
export interface OnnxWeights {
  g: Graph;
  p: Params;
  lora: Params | null;
  loraScale: number;
}

/** W + (α/r)·B A for a targeted Linear, else W; and the bias. */
function effectiveWeight(w: OnnxWeights, name: string): [Value, Value] {
  const { g } = w;
  let weight = w.p.take(`${name}.weight`);
  const bias = w.p.take(`${name}.bias`);
  const aName = `${name}.lora_A.weight`;
  if (w.lora?.has(aName)) {
    const a = w.lora.take(aName);
    const b = w.lora.take(`${name}.lora_B.weight`);
    weight = g.op("Add", [weight, g.op("Mul", [g.op("MatMul", [b, a]), g.floats([w.loraScale])])]);
  }
  return [weight, bias];
}

/**
 * Linears reading the same input `x` [..., inF] (leading dims `lead`, batch first and free), as ONE
 * Gemm with their weights stacked along `out`, split back. `outs` are the output widths.
 */
export function fusedLinear(w: OnnxWeights, x: Value, lead: readonly number[], names: readonly string[], inF: number, outs: readonly number[]): Value[] {
  const { g } = w;
  const parts = names.map((n) => effectiveWeight(w, n));
  const weight = parts.length === 1 ? parts[0]![0] : g.op("Concat", parts.map((p) => p[0]), { axis: 0 });
  const bias = parts.length === 1 ? parts[0]![1] : g.op("Concat", parts.map((p) => p[1]), { axis: 0 });
  const total = outs.reduce((a, b) => a + b, 0);
  const y2 = g.op("Gemm", [lead.length > 0 ? g.reshape(x, [-1, inF]) : x, weight, bias], { transB: 1 });
  const y = lead.length > 0 ? g.reshape(y2, [-1, ...lead, total]) : y2;
  return parts.length === 1 ? [y] : g.split(y, outs, -1);
}

/** `nn.Linear` on x [B, ...lead, inF] → [B, ...lead, outF]. */
export function linear(w: OnnxWeights, x: Value, lead: readonly number[], name: string, inF: number, outF: number): Value {
  return fusedLinear(w, x, lead, [name], inF, [outF])[0]!;
}

export function silu(g: Graph, x: Value): Value {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/** GELU, tanh form as x·σ(2c(x + 0.044715x³)), c = √(2/π). */
export function gelu(g: Graph, x: Value): Value {
  const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
  const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.floats([0.044715])])]), g.floats([1.5957691216057308])]);
  return g.op("Mul", [x, g.op("Sigmoid", [inner])]);
}

/** LayerNorm over the last axis (width `d`) without affine parameters, eps 1e-6. */
export function layerNorm(g: Graph, x: Value, d: number): Value {
  return g.op("LayerNormalization", [x, g.floats(new Float32Array(d).fill(1), [d])], { axis: -1, epsilon: { float: 1e-6 } });
}

/** RMSNorm over the last axis with a learned scale, eps 1e-6. */
export function rmsNorm(g: Graph, x: Value, weight: Value): Value {
  const ms = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
  return g.op("Mul", [g.op("Div", [x, g.op("Sqrt", [g.op("Add", [ms, g.floats([1e-6])])])]), weight]);
}

/** adaLN: (1 + scale)·x + shift. */
export function modulate(g: Graph, x: Value, shift: Value, scale: Value): Value {
  return g.op("Add", [g.op("Mul", [x, g.op("Add", [scale, g.floats([1])])]), shift]);
}

/** Linear(SiLU(vec)) [B, k·D] split into k chunks of [B, 1, D]; `vecAct` is SiLU(vec) [B, D]. */
export function modulation(w: OnnxWeights, vecAct: Value, name: string, d: number, k: number): Value[] {
  const y = linear(w, vecAct, [], name, d, k * d);
  return w.g.split(w.g.reshape(y, [-1, k, d]), new Array<number>(k).fill(1), 1);
}

/** Sinusoidal embedding of 1000·x, cos first: x [B] → [B, dim]. */
export function timestepEmbedding(g: Graph, x: Value, dim: number): Value {
  const half = dim / 2;
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const arg = g.op("Mul", [g.op("Mul", [g.reshape(x, [-1, 1]), g.floats([1000])]), g.floats(freqs, [1, half])]);
  return g.op("Concat", [g.op("Cos", [arg]), g.op("Sin", [arg])], { axis: -1 });
}

/** Linear → SiLU → Linear on x [B, inF] → [B, width]. */
export function mlpEmbedder(w: OnnxWeights, x: Value, name: string, inF: number, width: number): Value {
  return linear(w, silu(w.g, linear(w, x, [], `${name}.linear_1`, inF, width)), [], `${name}.linear_2`, width, width);
}

/** [B, T, D] → [B, T, H, D/H]. */
export function toHeads(g: Graph, x: Value, T: number, heads: number, d: number): Value {
  return g.reshape(x, [-1, T, heads, d / heads]);
}
