/**
 * The built-in text encoder (../text.ts `encodeText`) as ONNX nodes. The one-hot × embedding product
 * is a Gather of the same rows (exact: each output is 1·E[w] plus zeros). The masked softmax over words
 * is ../softmax.ts `maskedSoftmax`, op for op.
 */
import type { ModelConfig } from "../config.js";
import { PAD_ID } from "../vocabulary.js";
import { FLOAT, INT32 } from "./proto.js";
import type { Graph, Params, Value } from "./graph.js";

/** softmax over axis 1 of s [B, W, S] restricted to mask [B, W, 1] (1 keep, 0 drop); all-dropped → 0. */
function maskedSoftmax(g: Graph, s: Value, mask: Value): Value {
  const kept = g.op("Where", [g.op("Greater", [mask, g.floats([0])]), s, g.floats([-1e30])]);
  const shift = g.op("ReduceMax", [kept], { axes: [1], keepdims: 1 });
  const e = g.op("Mul", [g.op("Exp", [g.op("Sub", [kept, shift])]), mask]);
  const total = g.op("ReduceSum", [e, g.int64s([1])], { keepdims: 1 });
  const safe = g.op("Where", [g.op("Greater", [total, g.floats([0])]), total, g.floats([1])]);
  return g.op("Div", [e, safe]);
}

/** ids int32 [B, W] → [sequence [B, S, Dt], pooled [B, Dp]]. */
export function encodeText(g: Graph, p: Params, ids: Value, c: ModelConfig): [Value, Value] {
  const D = c.jointAttentionDim;
  const W = c.textMaxWords;
  const mask = g.op("Cast", [g.op("Not", [g.op("Equal", [ids, g.op("Cast", [g.int64s([PAD_ID])], { to: INT32 })])])], { to: FLOAT }); // [B, W]
  const h = g.op("Add", [g.op("Gather", [p.take("text_encoder.token_embedding.weight"), ids], { axis: 0 }), p.take("text_encoder.position_embedding.weight")]);
  const q = p.take("text_encoder.slot_queries.weight");
  const scores = g.op("Mul", [g.op("MatMul", [h, g.op("Transpose", [q], { perm: [1, 0] })]), g.floats([1 / Math.sqrt(D)])]); // [B, W, S]
  const maskCol = g.reshape(mask, [-1, W, 1]);
  const a = maskedSoftmax(g, scores, maskCol);
  const seq = g.op("MatMul", [g.op("Transpose", [a], { perm: [0, 2, 1] }), h]); // [B, S, D]
  const count = g.op("Add", [g.op("ReduceSum", [mask, g.int64s([1])], { keepdims: 1 }), g.floats([1e-6])]); // [B, 1]
  const mean = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [h, maskCol]), g.int64s([1])], { keepdims: 0 }), count]); // [B, D]
  const pooled = g.op("Gemm", [mean, p.take("text_encoder.pooled_proj.weight"), p.take("text_encoder.pooled_proj.bias")], { transB: 1 });
  return [seq, pooled];
}
