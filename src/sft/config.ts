/**
 * The cold-start SFT configuration: defaults (DESIGN §9: AdamW lr 1e-3, 100 warm-up steps, clip 1,
 * logit-normal t, EMA 0.998, `small` model at batch 32), then a YAML/JSON override file, then
 * command-line flags, validated with zod. A wrong field is one line naming it, exit 2.
 */
import { z } from "zod";
import { mergeConfig, readConfigFile, type ConfigMapping } from "../runtime/config-file.js";
import { UserError } from "../runtime/errors.js";
import { firstIssue } from "../runtime/zod-error.js";
import { isPresetName, parseModelConfig, PRESET_NAMES, presetConfig, vocabularyFromTexts, type ModelConfig } from "../model/index.js";

/** Presets SFT can train: a built-in text encoder and the pixel-space codec (not shape-only ones). */
export const TRAINABLE_PRESETS = PRESET_NAMES.filter((p) => {
  const c = presetConfig(p);
  return c.textEncoder === "builtin" && c.latentDownsample === 1;
});

const posInt = z.number().int().positive();

export const SftConfigSchema = z.strictObject({
  /** Model preset trained from its random initialisation. */
  preset: z.string().refine((p) => isPresetName(p) && TRAINABLE_PRESETS.includes(p), {
    message: `expected one of ${TRAINABLE_PRESETS.join(", ")}`,
  }),
  /** Fields overriding the preset's model config (validated as a whole model config). */
  model: z.record(z.string(), z.unknown()),
  /** Optimizer steps in the whole run. */
  steps: posInt,
  batchSize: posInt,
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  optimizer: z.strictObject({
    lr: z.number().positive(),
    /** Linear warm-up from lr/warmupSteps to lr over this many steps, then constant. */
    warmupSteps: z.number().int().min(0),
    beta1: z.number().min(0).max(1),
    beta2: z.number().min(0).max(1),
    eps: z.number().positive(),
    weightDecay: z.number().min(0),
    /** Global gradient-norm clip (0 = off). */
    clipNorm: z.number().min(0),
    /**
     * After the warm-up, decay along half a cosine to `minFactor`·lr at the run's last step (issue 25's
     * probes: at constant lr 3e-3 validation MSE stops falling). Absent: constant (DESIGN §9).
     */
    decay: z.strictObject({ kind: z.literal("cosine"), minFactor: z.number().min(0).max(1) }).optional(),
  }),
  /** Training timesteps: t = sigmoid(mean + std·n), then the FLUX shift. */
  timesteps: z.strictObject({
    mean: z.number(),
    std: z.number().positive(),
    shift: z.union([z.literal("none"), z.literal("tokens"), z.strictObject({ mu: z.number() })]),
  }),
  /** EMA of the weights kept beside them (null = none). */
  ema: z.strictObject({ decay: z.number().gt(0).lt(1) }).nullable(),
  /** Checkpoint every this many steps (and always at the end or on SIGINT). */
  ckptEvery: posInt,
  /** One metrics.jsonl line per this many steps. */
  logEvery: posInt,
  /** Checkpoints kept on disk (the newest). */
  keepCheckpoints: posInt,
  /** Images of another size: resized with a warning, or refused. */
  resize: z.enum(["warn", "refuse"]),
  /**
   * Instruction words: "from-data" reads the vocabulary and the word budget off the training
   * instructions (so no word is UNK or cut off); "builtin" keeps the model config's own list.
   */
  vocabulary: z.enum(["from-data", "builtin"]),
  /**
   * Continue from a checkpoint instead of the random initialisation (`sft --init`): its weights (the EMA
   * when it has one) and its model config; fresh AdamW moments and warm-up. Absent: from scratch.
   */
  init: z.strictObject({ checkpoint: z.string(), sha256: z.string() }).optional(),
  /**
   * Edit-weighted loss (issue 25): each target token element that differs from the reference's by more than
   * `threshold` (token units, [−1, 1]) weighs 1 + `weight` in Eq. 2, each sample's error divided by its total
   * weight, so the few pixels a pose edit moves are not drowned by the background it copies. Absent: Eq. 2.
   */
  editWeight: z.strictObject({ weight: z.number().positive(), threshold: z.number().positive() }).optional(),
});
export type SftConfig = z.infer<typeof SftConfigSchema>;

export const DEFAULT_SFT_CONFIG: SftConfig = {
  preset: "small",
  model: {},
  steps: 2000,
  batchSize: 32,
  seed: 0,
  optimizer: { lr: 1e-3, warmupSteps: 100, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 },
  timesteps: { mean: 0, std: 1, shift: "none" },
  ema: { decay: 0.998 },
  ckptEvery: 250,
  logEvery: 10,
  keepCheckpoints: 3,
  resize: "warn",
  vocabulary: "from-data",
};

/** Validate a raw config; `source` names where it came from. Throws one line naming the field. */
export function parseSftConfig(raw: unknown, source: string): SftConfig {
  const r = SftConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const { field, what } = firstIssue(r.error);
  throw new UserError(`${source}: field ${field}: ${what}`, 2);
}

/**
 * Defaults ← file ← flags. `flags` holds only what the command line set (already typed). The file
 * is validated on its own first, so an error names the file; the merged result is validated again.
 */
export function resolveSftConfig(file: string | undefined, flags: Record<string, unknown>): SftConfig {
  let merged: ConfigMapping = DEFAULT_SFT_CONFIG;
  if (file !== undefined) {
    merged = mergeConfig(merged, readConfigFile(file));
    sftModelConfig(parseSftConfig(merged, file), file);
  }
  const config = parseSftConfig(mergeConfig(merged, flags), "command line");
  sftModelConfig(config, "command line");
  return config;
}

/** The model config SFT trains: the preset with the config's `model` overrides. */
export function sftModelConfig(c: SftConfig, source = "sft config", instructions?: readonly string[]): ModelConfig {
  const fromData = c.vocabulary === "from-data" && instructions !== undefined ? vocabularyFromTexts(instructions) : null;
  const preset = presetConfig(c.preset);
  const textOverride = fromData
    ? { vocabulary: fromData.vocabulary, textMaxWords: Math.max(preset.textMaxWords, fromData.maxWords) }
    : {};
  const model = parseModelConfig({ ...preset, ...c.model, ...textOverride }, source);
  if (model.textEncoder !== "builtin" || model.latentDownsample !== 1) {
    throw new UserError(`${source}: model: SFT needs the built-in text encoder and the pixel codec (latentDownsample 1)`, 2);
  }
  return model;
}

/**
 * Learning rate at optimizer step `step` (1-based) of a run of `steps`: linear warm-up, then constant, or
 * with `decay` half a cosine from lr after the warm-up to minFactor·lr at step `steps`.
 */
export function learningRate(c: SftConfig["optimizer"], step: number, steps: number): number {
  if (c.warmupSteps > 0 && step < c.warmupSteps) return (c.lr * step) / c.warmupSteps;
  if (c.decay === undefined) return c.lr;
  const progress = Math.min(1, (step - c.warmupSteps) / Math.max(1, steps - c.warmupSteps));
  const f = c.decay.minFactor;
  return c.lr * (f + (1 - f) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
