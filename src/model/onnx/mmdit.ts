/**
 * ../mmdit.ts `transformer` as ONNX nodes, block for block: timestep/guidance/text vector, double-stream
 * blocks with joint attention, single-stream parallel blocks, AdaLN-continuous output norm and proj_out.
 */
import { headDim, mlpDim, tokenDim, type ModelConfig } from "../config.js";
import { applyRope, attention, type OnnxRope } from "./attention.js";
import type { Value } from "./graph.js";
import { fusedLinear, gelu, layerNorm, linear, mlpEmbedder, modulate, modulation, rmsNorm, silu, timestepEmbedding, toHeads, type OnnxWeights } from "./layers.js";

/** q, k, v of one stream [B, T, H, hd], q and k RMS-normed; `names` are the three projections. */
function projectQkv(w: OnnxWeights, x: Value, T: number, names: string[], norms: [string, string], c: ModelConfig): [Value, Value, Value] {
  const H = c.hidden;
  const [q, k, v] = fusedLinear(w, x, [T], names, H, [H, H, H]);
  return headsQkv(w, [q!, k!, v!], T, norms, c);
}

function headsQkv(w: OnnxWeights, [q, k, v]: Value[], T: number, norms: [string, string], c: ModelConfig): [Value, Value, Value] {
  const { g } = w;
  const heads = (x: Value): Value => toHeads(g, x, T, c.heads, c.hidden);
  return [rmsNorm(g, heads(q!), w.p.take(norms[0])), rmsNorm(g, heads(k!), w.p.take(norms[1])), heads(v!)];
}

function ropeAttention(w: OnnxWeights, [q, k, v]: Value[], T: number, rope: OnnxRope, c: ModelConfig): Value {
  return attention(w.g, applyRope(w.g, q!, rope), applyRope(w.g, k!, rope), v!, T, c.heads, headDim(c));
}

function feedForward(w: OnnxWeights, x: Value, T: number, name: string, c: ModelConfig): Value {
  const M = mlpDim(c);
  return linear(w, gelu(w.g, linear(w, x, [T], `${name}.net.0.proj`, c.hidden, M)), [T], `${name}.net.2`, M, c.hidden);
}

/** Double-stream block: txt [B, S, H], img [B, 2N, H]. */
function doubleBlock(w: OnnxWeights, i: number, txt: Value, img: Value, vecAct: Value, c: ModelConfig, rope: OnnxRope, N2: number): [Value, Value] {
  const { g } = w;
  const b = `transformer_blocks.${i}`;
  const H = c.hidden;
  const S = c.textSlots;
  const [sh1, sc1, g1, sh2, sc2, g2] = modulation(w, vecAct, `${b}.norm1.linear`, H, 6) as [Value, Value, Value, Value, Value, Value];
  const [csh1, csc1, cg1, csh2, csc2, cg2] = modulation(w, vecAct, `${b}.norm1_context.linear`, H, 6) as [Value, Value, Value, Value, Value, Value];
  const imgN = modulate(g, layerNorm(g, img, H), sh1, sc1);
  const txtN = modulate(g, layerNorm(g, txt, H), csh1, csc1);
  const qkvImg = projectQkv(w, imgN, N2, [`${b}.attn.to_q`, `${b}.attn.to_k`, `${b}.attn.to_v`], [`${b}.attn.norm_q.weight`, `${b}.attn.norm_k.weight`], c);
  const qkvTxt = projectQkv(w, txtN, S, [`${b}.attn.add_q_proj`, `${b}.attn.add_k_proj`, `${b}.attn.add_v_proj`], [`${b}.attn.norm_added_q.weight`, `${b}.attn.norm_added_k.weight`], c);
  const joint = qkvTxt.map((t, j) => g.op("Concat", [t, qkvImg[j]!], { axis: 1 })); // text first
  const [attnTxt, attnImg] = g.split(ropeAttention(w, joint, S + N2, rope, c), [S, N2], 1) as [Value, Value];
  let imgOut = g.op("Add", [img, g.op("Mul", [linear(w, attnImg, [N2], `${b}.attn.to_out.0`, H, H), g1])]);
  let txtOut = g.op("Add", [txt, g.op("Mul", [linear(w, attnTxt, [S], `${b}.attn.to_add_out`, H, H), cg1])]);
  imgOut = g.op("Add", [imgOut, g.op("Mul", [feedForward(w, modulate(g, layerNorm(g, imgOut, H), sh2, sc2), N2, `${b}.ff`, c), g2])]);
  txtOut = g.op("Add", [txtOut, g.op("Mul", [feedForward(w, modulate(g, layerNorm(g, txtOut, H), csh2, csc2), S, `${b}.ff_context`, c), cg2])]);
  return [txtOut, imgOut];
}

/** Single-stream parallel block on x [B, T, H]. */
function singleBlock(w: OnnxWeights, i: number, x: Value, vecAct: Value, c: ModelConfig, rope: OnnxRope, T: number): Value {
  const { g } = w;
  const b = `single_transformer_blocks.${i}`;
  const H = c.hidden;
  const M = mlpDim(c);
  const [sh, sc, gate] = modulation(w, vecAct, `${b}.norm.linear`, H, 3) as [Value, Value, Value];
  const xn = modulate(g, layerNorm(g, x, H), sh, sc);
  const [q, k, v, mlpIn] = fusedLinear(w, xn, [T], [`${b}.attn.to_q`, `${b}.attn.to_k`, `${b}.attn.to_v`, `${b}.proj_mlp`], H, [H, H, H, M]);
  const attn = ropeAttention(w, headsQkv(w, [q!, k!, v!], T, [`${b}.attn.norm_q.weight`, `${b}.attn.norm_k.weight`], c), T, rope, c);
  const mixed = g.op("Concat", [attn, gelu(g, mlpIn!)], { axis: -1 });
  return g.op("Add", [x, g.op("Mul", [linear(w, mixed, [T], `${b}.proj_out`, H + M, H), gate])]);
}

/** xt, ref [B, N, P], text sequence [B, S, Dt], pooled [B, Dp], t and guidance [B] → velocity [B, N, P]. */
export function transformer(w: OnnxWeights, c: ModelConfig, rope: OnnxRope, N: number, xt: Value, ref: Value, textSeq: Value, pooled: Value, t: Value, guidance: Value | null): Value {
  const { g } = w;
  const H = c.hidden;
  const S = c.textSlots;
  const T = S + 2 * N;
  let vec = mlpEmbedder(w, timestepEmbedding(g, t, c.timestepDim), "time_text_embed.timestep_embedder", c.timestepDim, H);
  if (guidance) vec = g.op("Add", [vec, mlpEmbedder(w, timestepEmbedding(g, guidance, c.timestepDim), "time_text_embed.guidance_embedder", c.timestepDim, H)]);
  vec = g.op("Add", [vec, mlpEmbedder(w, pooled, "time_text_embed.text_embedder", c.pooledDim, H)]);
  const vecAct = silu(g, vec);
  let img = linear(w, g.op("Concat", [xt, ref], { axis: 1 }), [2 * N], "x_embedder", tokenDim(c), H);
  let txt = linear(w, textSeq, [S], "context_embedder", c.jointAttentionDim, H);
  for (let i = 0; i < c.doubleBlocks; i++) [txt, img] = doubleBlock(w, i, txt, img, vecAct, c, rope, 2 * N);
  let x = g.op("Concat", [txt, img], { axis: 1 });
  for (let i = 0; i < c.singleBlocks; i++) x = singleBlock(w, i, x, vecAct, c, rope, T);
  const target = g.split(x, [S, N, N], 1)[1]!;
  const [scale, shift] = modulation(w, vecAct, "norm_out.linear", H, 2) as [Value, Value];
  return linear(w, modulate(g, layerNorm(g, target, H), shift, scale), [N], "proj_out", H, tokenDim(c));
}
