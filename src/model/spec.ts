/**
 * The parameter spec of the Kontext-style MMDiT, in diffusers `FluxTransformer2DModel` names and
 * shapes (anchors-evaluation.md §4–5). Pure shape arithmetic: it allocates nothing, so the real
 * FLUX.1 Kontext [dev] shapes can be counted.
 */
import { headDim, mlpDim, tokenDim, type ModelConfig } from "./config.js";
import { SpecBuilder, type ParamEntry } from "./params.js";
import { vocabSize } from "./text.js";

/** A Linear module: name (without `.weight`), in and out features. */
export interface LinearModule {
  name: string;
  inF: number;
  outF: number;
}

/** Every Linear in the transformer, in state-dict order (LoRA can target any of them). */
export function linearModules(c: ModelConfig): LinearModule[] {
  const H = c.hidden;
  const M = mlpDim(c);
  const mods: LinearModule[] = [];
  const lin = (name: string, inF: number, outF: number): void => void mods.push({ name, inF, outF });
  lin("x_embedder", tokenDim(c), H);
  lin("context_embedder", c.jointAttentionDim, H);
  lin("time_text_embed.timestep_embedder.linear_1", c.timestepDim, H);
  lin("time_text_embed.timestep_embedder.linear_2", H, H);
  if (c.guidanceEmbed) {
    lin("time_text_embed.guidance_embedder.linear_1", c.timestepDim, H);
    lin("time_text_embed.guidance_embedder.linear_2", H, H);
  }
  lin("time_text_embed.text_embedder.linear_1", c.pooledDim, H);
  lin("time_text_embed.text_embedder.linear_2", H, H);
  for (let i = 0; i < c.doubleBlocks; i++) {
    const b = `transformer_blocks.${i}`;
    lin(`${b}.norm1.linear`, H, 6 * H);
    lin(`${b}.norm1_context.linear`, H, 6 * H);
    for (const m of ["to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_out.0", "to_add_out"]) lin(`${b}.attn.${m}`, H, H);
    lin(`${b}.ff.net.0.proj`, H, M);
    lin(`${b}.ff.net.2`, M, H);
    lin(`${b}.ff_context.net.0.proj`, H, M);
    lin(`${b}.ff_context.net.2`, M, H);
  }
  for (let i = 0; i < c.singleBlocks; i++) {
    const b = `single_transformer_blocks.${i}`;
    lin(`${b}.norm.linear`, H, 3 * H);
    lin(`${b}.proj_mlp`, H, M);
    lin(`${b}.proj_out`, H + M, H);
    for (const m of ["to_q", "to_k", "to_v"]) lin(`${b}.attn.${m}`, H, H);
  }
  lin("norm_out.linear", H, 2 * H);
  lin("proj_out", H, tokenDim(c));
  return mods;
}

/** Transformer parameters (diffusers names): every Linear (weight + bias) and the QK-RMSNorm scales. */
export function transformerSpec(c: ModelConfig, b: SpecBuilder = new SpecBuilder()): ParamEntry[] {
  const hd = headDim(c);
  const byBlock = new Map<string, string[]>();
  for (let i = 0; i < c.doubleBlocks; i++) byBlock.set(`transformer_blocks.${i}.attn.to_add_out`, ["norm_q", "norm_k", "norm_added_q", "norm_added_k"].map((n) => `transformer_blocks.${i}.attn.${n}.weight`));
  for (let i = 0; i < c.singleBlocks; i++) byBlock.set(`single_transformer_blocks.${i}.attn.to_v`, ["norm_q", "norm_k"].map((n) => `single_transformer_blocks.${i}.attn.${n}.weight`));
  for (const m of linearModules(c)) {
    b.linear(m.name, m.inF, m.outF);
    for (const norm of byBlock.get(m.name) ?? []) b.add(norm, [hd]);
  }
  return b.entries;
}

/** Built-in text encoder parameters (absent when the encoder is external, as for real FLUX). */
export function textEncoderSpec(c: ModelConfig, b: SpecBuilder): void {
  if (c.textEncoder !== "builtin") return;
  const D = c.jointAttentionDim;
  b.add("text_encoder.token_embedding.weight", [vocabSize(c), D]);
  b.add("text_encoder.position_embedding.weight", [c.textMaxWords, D]);
  b.add("text_encoder.slot_queries.weight", [c.textSlots, D]);
  b.linear("text_encoder.pooled_proj", D, c.pooledDim);
}

/** The full base vector: transformer, then the text encoder. */
export function baseSpec(c: ModelConfig): ParamEntry[] {
  const b = new SpecBuilder();
  transformerSpec(c, b);
  textEncoderSpec(c, b);
  return b.entries;
}
