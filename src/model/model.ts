/**
 * `buildModel`: the spec, initialisation and the traceable velocity function of the editing model.
 * Weights live in flat float32 vectors (base; LoRA) laid out by `baseSpec` / `loraSpec`.
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { Rng } from "../runtime/rng.js";
import { tokenDim, tokensPerImage, type ModelConfig } from "./config.js";
import { initLoraWeights, loraScale, loraSpec, type LoraConfig } from "./lora.js";
import { transformer } from "./mmdit.js";
import { ParamBag, specSize, type ParamEntry } from "./params.js";
import { ropeTables } from "./rope.js";
import { baseSpec } from "./spec.js";
import { encodeText } from "./text.js";

export interface EditModel {
  config: ModelConfig;
  lora: LoraConfig | null;
  baseSpec: ParamEntry[];
  baseSize: number;
  loraSpec: ParamEntry[];
  loraSize: number;
  /** N: tokens per image. */
  tokensPerImage: number;
  /** P: values per token (p·p·channels). */
  tokenDim: number;
  initBase(seed: number): Float32Array;
  initLora(seed: number): Float32Array;
  /**
   * Velocity v_θ(x_t, t, ref, text). Pure and traceable (use inside jit); consumes its array args.
   * base [baseSize]; lora [loraSize] or null (base only); xt, ref [B, N, P]; t [B] in [0, 1]
   * (1 = noise); text int32 [B, textMaxWords] from `tokenize`; guidance [B] (default
   * `config.defaultGuidance`). Returns [B, N, P].
   */
  velocity(base: JaxArray, lora: JaxArray | null, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray, guidance?: JaxArray): JaxArray;
}

/** PyTorch-default init: Linear weight and bias U(±1/√in); RMSNorm scales 1; embeddings N(0, 1). */
export function initBaseWeights(spec: ParamEntry[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(specSize(spec));
  const fanIn = new Map<string, number>();
  for (const e of spec) if (e.name.endsWith(".weight") && e.shape.length === 2) fanIn.set(e.name.slice(0, -7), e.shape[1]!);
  for (const e of spec) {
    const module = e.name.replace(/\.(weight|bias)$/, "");
    if (/\.norm(_added)?_[qk]\.weight$/.test(e.name)) out.fill(1, e.offset, e.offset + e.size);
    else if (/embedding\.weight$|slot_queries\.weight$/.test(e.name)) out.set(rng.normalArray(e.size), e.offset);
    else {
      const bound = 1 / Math.sqrt(fanIn.get(module) ?? 1);
      out.set(rng.uniformArray(e.size, -bound, bound), e.offset);
    }
  }
  return out;
}

export function buildModel(config: ModelConfig, lora?: LoraConfig | null): EditModel {
  const bSpec = baseSpec(config);
  const lSpec = lora ? loraSpec(config, lora) : [];
  const baseSize = specSize(bSpec);
  const loraSize = specSize(lSpec);
  const N = tokensPerImage(config);
  const P = tokenDim(config);
  let rope: ReturnType<typeof ropeTables> | undefined;
  return {
    config,
    lora: lora ?? null,
    baseSpec: bSpec,
    baseSize,
    loraSpec: lSpec,
    loraSize,
    tokensPerImage: N,
    tokenDim: P,
    initBase: (seed) => initBaseWeights(bSpec, seed),
    initLora: (seed) => initLoraWeights(lSpec, seed),
    velocity(base, loraVec, xt, t, ref, text, guidance) {
      if (config.textEncoder !== "builtin") throw new Error(`preset ${config.preset} is shape-only (external text encoder)`);
      if (base.shape[0] !== baseSize) throw new Error(`velocity: base vector has ${base.shape[0]} values, spec needs ${baseSize}`);
      if (loraVec && loraVec.shape[0] !== loraSize) throw new Error(`velocity: LoRA vector has ${loraVec.shape[0]} values, spec needs ${loraSize}`);
      rope ??= ropeTables(config);
      const w = { p: new ParamBag(base, bSpec), lora: loraVec && lora ? new ParamBag(loraVec, lSpec) : null, loraScale: lora ? loraScale(lora) : 0 };
      if (loraVec && !lora) loraVec.dispose();
      const B = xt.shape[0]!;
      const g = config.guidanceEmbed ? (guidance ?? np.full([B], config.defaultGuidance, { dtype: np.float32 })) : null;
      if (!config.guidanceEmbed) guidance?.dispose();
      const [seq, pooled] = encodeText(w.p, text, config);
      const v = transformer(w, config, rope, xt, ref, seq, pooled, t, g);
      w.p.dispose();
      w.lora?.dispose();
      return v;
    },
  };
}
