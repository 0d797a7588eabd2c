/**
 * Kontext-style MMDiT, faithful in topology to FLUX.1 Kontext [dev] (anchors-evaluation.md §4):
 *   vec  = timestep_embedder(emb(1000t)) + guidance_embedder(emb(1000g)) + text_embedder(pooled)
 *   seq  = [text | noisy target | clean reference]; image tokens share x_embedder, the reference is
 *          never noised and shares vec (§4.3); RoPE ids text (0,0,0), target (0,h,w), ref (1,h,w)
 *   double-stream blocks (separate text/image weights, joint attention), then single-stream
 *   parallel blocks (attention ∥ MLP, ViT-22B style); adaLN modulation with gated residuals;
 *   QK-RMSNorm; output sliced back to the target tokens; norm_out (adaLN) + proj_out.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import type { ModelConfig } from "./config.js";
import { attention } from "./attention.js";
import { fusedLinear, gelu, layerNorm, linear, mlpEmbedder, modulate, modulation, rmsNorm, silu, timestepEmbedding, toHeads, type Weights } from "./layers.js";
import { applyRope, type RopeTables } from "./rope.js";

type Qkv = [JaxArray, JaxArray, JaxArray];

/** q, k, v of one stream in heads layout, with QK-RMSNorm. */
function headsQkv(w: Weights, [q, k, v]: JaxArray[], norms: [string, string], heads: number): Qkv {
  return [rmsNorm(toHeads(q!, heads), w.p.take(norms[0])), rmsNorm(toHeads(k!, heads), w.p.take(norms[1])), toHeads(v!, heads)];
}

/** q, k, v of one stream in heads layout (one fused matmul), with QK-RMSNorm. */
function projectQkv(w: Weights, x: JaxArray, names: [string, string, string], norms: [string, string], heads: number): Qkv {
  return headsQkv(w, fusedLinear(w, x, names), norms, heads);
}

function ropeAttention([q, k, v]: Qkv, rope: RopeTables): JaxArray {
  return attention(applyRope(q, rope), applyRope(k, rope), v);
}

function feedForward(w: Weights, x: JaxArray, name: string): JaxArray {
  return linear(w, gelu(linear(w, x, `${name}.net.0.proj`)), `${name}.net.2`);
}

/** FluxTransformerBlock (double stream). txt [B, S, D], img [B, 2N, D]; vecAct = SiLU(vec). */
function doubleBlock(w: Weights, i: number, txt: JaxArray, img: JaxArray, vecAct: JaxArray, c: ModelConfig, rope: RopeTables): [JaxArray, JaxArray] {
  const b = `transformer_blocks.${i}`;
  const [sh1, sc1, g1, sh2, sc2, g2] = modulation(w, vecAct.ref, `${b}.norm1.linear`, 6) as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray, JaxArray];
  const [csh1, csc1, cg1, csh2, csc2, cg2] = modulation(w, vecAct, `${b}.norm1_context.linear`, 6) as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray, JaxArray];
  const imgN = modulate(layerNorm(img.ref), sh1, sc1);
  const txtN = modulate(layerNorm(txt.ref), csh1, csc1);
  const [qi, ki, vi] = projectQkv(w, imgN, [`${b}.attn.to_q`, `${b}.attn.to_k`, `${b}.attn.to_v`], [`${b}.attn.norm_q.weight`, `${b}.attn.norm_k.weight`], c.heads);
  const [qt, kt, vt] = projectQkv(
    w,
    txtN,
    [`${b}.attn.add_q_proj`, `${b}.attn.add_k_proj`, `${b}.attn.add_v_proj`],
    [`${b}.attn.norm_added_q.weight`, `${b}.attn.norm_added_k.weight`],
    c.heads,
  );
  const cat = (t: JaxArray, m: JaxArray): JaxArray => np.concatenate([t, m], 1); // text first
  const attn = ropeAttention([cat(qt, qi), cat(kt, ki), cat(vt, vi)], rope);
  const [attnTxt, attnImg] = np.split(attn, [c.textSlots], 1) as [JaxArray, JaxArray];
  let imgOut = img.add(linear(w, attnImg, `${b}.attn.to_out.0`).mul(g1));
  let txtOut = txt.add(linear(w, attnTxt, `${b}.attn.to_add_out`).mul(cg1));
  imgOut = imgOut.ref.add(feedForward(w, modulate(layerNorm(imgOut), sh2, sc2), `${b}.ff`).mul(g2));
  txtOut = txtOut.ref.add(feedForward(w, modulate(layerNorm(txtOut), csh2, csc2), `${b}.ff_context`).mul(cg2));
  return [txtOut, imgOut];
}

/** FluxSingleTransformerBlock (parallel attention + MLP). x [B, T, D]. */
function singleBlock(w: Weights, i: number, x: JaxArray, vecAct: JaxArray, c: ModelConfig, rope: RopeTables): JaxArray {
  const b = `single_transformer_blocks.${i}`;
  const [sh, sc, g] = modulation(w, vecAct, `${b}.norm.linear`, 3) as [JaxArray, JaxArray, JaxArray];
  const xn = modulate(layerNorm(x.ref), sh, sc);
  // BFL's linear1 = [to_q; to_k; to_v; proj_mlp] as one matmul.
  const [q, k, v, mlpIn] = fusedLinear(w, xn, [`${b}.attn.to_q`, `${b}.attn.to_k`, `${b}.attn.to_v`, `${b}.proj_mlp`]);
  const attn = ropeAttention(headsQkv(w, [q!, k!, v!], [`${b}.attn.norm_q.weight`, `${b}.attn.norm_k.weight`], c.heads), rope);
  return x.add(linear(w, np.concatenate([attn, gelu(mlpIn!)], -1), `${b}.proj_out`).mul(g));
}

/**
 * The transformer: target tokens xt [B, N, P], reference tokens [B, N, P], text sequence
 * [B, S, Dt], pooled text [B, Dp], t and guidance [B] → velocity [B, N, P]. Consumes its arrays.
 */
export function transformer(
  w: Weights,
  c: ModelConfig,
  rope: RopeTables,
  xt: JaxArray,
  ref: JaxArray,
  textSeq: JaxArray,
  pooled: JaxArray,
  t: JaxArray,
  guidance: JaxArray | null,
): JaxArray {
  let vec = mlpEmbedder(w, timestepEmbedding(t, c.timestepDim), "time_text_embed.timestep_embedder");
  if (guidance) vec = vec.add(mlpEmbedder(w, timestepEmbedding(guidance, c.timestepDim), "time_text_embed.guidance_embedder"));
  vec = vec.add(mlpEmbedder(w, pooled, "time_text_embed.text_embedder"));
  const vecAct = silu(vec);
  const N = xt.shape[1]!;
  let img = linear(w, np.concatenate([xt, ref], 1), "x_embedder"); // [B, 2N, D]
  let txt = linear(w, textSeq, "context_embedder"); // [B, S, D]
  for (let i = 0; i < c.doubleBlocks; i++) [txt, img] = doubleBlock(w, i, txt, img, vecAct.ref, c, rope);
  let x = np.concatenate([txt, img], 1);
  for (let i = 0; i < c.singleBlocks; i++) x = singleBlock(w, i, x, vecAct.ref, c, rope);
  const [txtPart, target, refPart] = np.split(x, [c.textSlots, c.textSlots + N], 1) as [JaxArray, JaxArray, JaxArray];
  txtPart.dispose();
  refPart.dispose();
  // norm_out = AdaLayerNormContinuous: scale first, then shift.
  const [scale, shift] = modulation(w, vecAct, "norm_out.linear", 2) as [JaxArray, JaxArray];
  return linear(w, modulate(layerNorm(target), shift, scale), "proj_out");
}

