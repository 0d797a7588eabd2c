/**
 * Model configuration: presets and validation. A config is plain JSON (it is stored in every
 * checkpoint); `parseModelConfig` validates one with zod and names the first wrong field.
 */
import { z } from "zod";
import { UserError } from "../runtime/errors.js";
import { firstIssue } from "../runtime/zod-error.js";

const posInt = z.number().int().positive();

export const ModelConfigSchema = z
  .object({
    /** Preset the config was derived from (recorded; checkpoints of another preset are refused). */
    preset: z.string().min(1),
    /** Square image side in pixels. */
    imageSize: posInt,
    /** Pixel → latent downsampling (1 = pixel-space codec; 8 = FLUX's VAE, shape-only). */
    latentDownsample: posInt,
    /** Channels per latent pixel (3 for RGB pixel space, 16 for the FLUX VAE). */
    latentChannels: posInt,
    patchSize: posInt,
    hidden: posInt,
    heads: posInt,
    doubleBlocks: z.number().int().nonnegative(),
    singleBlocks: z.number().int().nonnegative(),
    mlpRatio: z.number().positive(),
    /** RoPE dimensions per axis (index, row, column); must sum to the head dimension, each even. */
    ropeAxes: z.tuple([posInt, posInt, posInt]),
    ropeTheta: z.number().positive(),
    /** Sinusoidal timestep / guidance embedding width (256 in FLUX). */
    timestepDim: posInt,
    guidanceEmbed: z.boolean(),
    /** Guidance value fed to the guidance embedder when the caller gives none (Kontext CLI: 2.5). */
    defaultGuidance: z.number(),
    /** Text tokens in the joint sequence (the encoder output length). */
    textSlots: posInt,
    /** Width of text tokens entering `context_embedder` (T5: 4096). */
    jointAttentionDim: posInt,
    /** Width of the pooled text vector entering `time_text_embed.text_embedder` (CLIP: 768). */
    pooledDim: posInt,
    /** "builtin": the small word-level encoder below; "external": T5/CLIP outside the model (shape-only). */
    textEncoder: z.enum(["builtin", "external"]),
    /** Words read from an instruction (the tokenizer's output length). */
    textMaxWords: posInt,
    /** Word vocabulary; null = the built-in list (`vocabulary.ts`). Ids 0 = PAD, 1 = UNK. */
    vocabulary: z.array(z.string().min(1)).nullable(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const headDim = c.hidden / c.heads;
    if (!Number.isInteger(headDim)) ctx.addIssue({ code: "custom", path: ["heads"], message: `hidden ${c.hidden} is not divisible by heads ${c.heads}` });
    const ropeSum = c.ropeAxes[0] + c.ropeAxes[1] + c.ropeAxes[2];
    if (ropeSum !== headDim || c.ropeAxes.some((a) => a % 2 !== 0))
      ctx.addIssue({ code: "custom", path: ["ropeAxes"], message: `must be even and sum to the head dimension ${headDim}, got [${c.ropeAxes.join(",")}]` });
    const latent = c.imageSize / c.latentDownsample;
    if (!Number.isInteger(latent / c.patchSize))
      ctx.addIssue({ code: "custom", path: ["patchSize"], message: `imageSize/latentDownsample = ${latent} is not a multiple of patchSize ${c.patchSize}` });
    const n = (latent / c.patchSize) ** 2;
    if ((c.textSlots + 2 * n) % 4 !== 0)
      ctx.addIssue({
        code: "custom",
        path: ["textSlots"],
        message: `joint sequence ${c.textSlots} + 2·${n} is not a multiple of 4 (jax-js falls off its SIMD paths; jaxjs-performance.md §2.1)`,
      });
    if (!Number.isInteger(c.hidden * c.mlpRatio)) ctx.addIssue({ code: "custom", path: ["mlpRatio"], message: `hidden·mlpRatio must be an integer` });
    if (c.timestepDim % 2 !== 0) ctx.addIssue({ code: "custom", path: ["timestepDim"], message: "must be even" });
    if (c.textEncoder === "builtin" && c.textMaxWords % 4 !== 0)
      ctx.addIssue({ code: "custom", path: ["textMaxWords"], message: "must be a multiple of 4" });
  });

export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const PRESET_NAMES = ["tiny", "small", "flux-kontext-dev"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const PRESETS: Record<PresetName, ModelConfig> = {
  tiny: {
    preset: "tiny",
    imageSize: 16,
    latentDownsample: 1,
    latentChannels: 3,
    patchSize: 4,
    // wider than a token (4·4·3 = 48 values) so the model can carry the noise through
    hidden: 64,
    heads: 2,
    doubleBlocks: 1,
    singleBlocks: 1,
    mlpRatio: 4,
    ropeAxes: [8, 12, 12],
    ropeTheta: 10000,
    timestepDim: 32,
    guidanceEmbed: true,
    defaultGuidance: 2.5,
    textSlots: 4,
    jointAttentionDim: 16,
    pooledDim: 16,
    textEncoder: "builtin",
    textMaxWords: 8,
    vocabulary: null,
  },
  // DESIGN §9: 32 px, patch 4, width 96, 4 heads, 1 double + 3 single, MLP ×4; 4 text slots → T = 132.
  small: {
    preset: "small",
    imageSize: 32,
    latentDownsample: 1,
    latentChannels: 3,
    patchSize: 4,
    hidden: 96,
    heads: 4,
    doubleBlocks: 1,
    singleBlocks: 3,
    mlpRatio: 4,
    ropeAxes: [4, 10, 10],
    ropeTheta: 10000,
    timestepDim: 256,
    guidanceEmbed: true,
    defaultGuidance: 2.5,
    textSlots: 4,
    jointAttentionDim: 64,
    pooledDim: 64,
    textEncoder: "builtin",
    textMaxWords: 16,
    vocabulary: null,
  },
  // black-forest-labs/flux util.py configs["flux-dev-kontext"] (anchors-evaluation.md §4.1); shape-only.
  "flux-kontext-dev": {
    preset: "flux-kontext-dev",
    imageSize: 1024,
    latentDownsample: 8,
    latentChannels: 16,
    patchSize: 2,
    hidden: 3072,
    heads: 24,
    doubleBlocks: 19,
    singleBlocks: 38,
    mlpRatio: 4,
    ropeAxes: [16, 56, 56],
    ropeTheta: 10000,
    timestepDim: 256,
    guidanceEmbed: true,
    defaultGuidance: 2.5,
    textSlots: 512,
    jointAttentionDim: 4096,
    pooledDim: 768,
    textEncoder: "external",
    textMaxWords: 512,
    vocabulary: null,
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** A fresh copy of a preset's config. */
export function presetConfig(name: PresetName | string): ModelConfig {
  if (!isPresetName(name)) throw new UserError(`unknown model preset "${name}" (expected one of ${PRESET_NAMES.join(", ")})`);
  return structuredClone(PRESETS[name]);
}

/** Validate a raw config (e.g. parsed JSON/YAML). `source` names where it came from in errors. */
export function parseModelConfig(raw: unknown, source: string): ModelConfig {
  const r = ModelConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const { field, what } = firstIssue(r.error);
  throw new UserError(`${source}: model config field ${field}: ${what}`);
}

/** Derived sizes. */
export function headDim(c: ModelConfig): number {
  return c.hidden / c.heads;
}
export function mlpDim(c: ModelConfig): number {
  return c.hidden * c.mlpRatio;
}
/** Tokens per image side and per image (N). */
export function gridSide(c: ModelConfig): number {
  return c.imageSize / c.latentDownsample / c.patchSize;
}
export function tokensPerImage(c: ModelConfig): number {
  return gridSide(c) ** 2;
}
/** Values per token (P = p·p·channels). */
export function tokenDim(c: ModelConfig): number {
  return c.patchSize * c.patchSize * c.latentChannels;
}
/** Joint sequence length T = textSlots + 2N. */
export function sequenceLength(c: ModelConfig): number {
  return c.textSlots + 2 * tokensPerImage(c);
}
