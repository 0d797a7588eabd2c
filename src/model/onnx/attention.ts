/**
 * ../attention.ts and ../rope.ts as ONNX nodes: RoPE x·cos + (x·rot)·sin with the same tables, then
 * joint scaled-dot-product attention with ONNX Softmax (max-shifted, as ../softmax.ts).
 */
import type { RopeTables } from "../rope.js";
import type { Graph, Value } from "./graph.js";

/** The RoPE tables as graph constants (cos, sin [T, 1, hd]; rot [hd, hd]). */
export interface OnnxRope {
  cos: Value;
  sin: Value;
  rot: Value;
}

export function ropeConstants(g: Graph, r: RopeTables): OnnxRope {
  return { cos: g.floats(r.cos, [r.T, 1, r.hd]), sin: g.floats(r.sin, [r.T, 1, r.hd]), rot: g.floats(r.rot, [r.hd, r.hd]) };
}

/** RoPE on x [B, T, H, hd]. */
export function applyRope(g: Graph, x: Value, r: OnnxRope): Value {
  return g.op("Add", [g.op("Mul", [x, r.cos]), g.op("Mul", [g.op("MatMul", [x, r.rot]), r.sin])]);
}

/** q, k, v [B, T, H, hd] → [B, T, H·hd]. */
export function attention(g: Graph, q: Value, k: Value, v: Value, T: number, heads: number, hd: number): Value {
  const qh = g.op("Transpose", [q], { perm: [0, 2, 1, 3] });
  const kt = g.op("Transpose", [k], { perm: [0, 2, 3, 1] });
  const vh = g.op("Transpose", [v], { perm: [0, 2, 1, 3] });
  const scores = g.op("Mul", [g.op("MatMul", [qh, kt]), g.floats([1 / Math.sqrt(hd)])]);
  const probs = g.op("Softmax", [scores], { axis: -1 });
  const out = g.op("Transpose", [g.op("MatMul", [probs, vh])], { perm: [0, 2, 1, 3] });
  return g.reshape(out, [-1, T, heads * hd]);
}
