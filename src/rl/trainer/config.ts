/**
 * The RL training configuration: presets (`paper`, `cpu`, `cpu-tiny`, `tiny`), a YAML override file and command-line
 * flags, merged in that order and validated with zod. Errors are one line (source, field, what) and exit 2.
 *
 * - paper: the paper's settings (G = 8, 48 groups per epoch, 60 epochs, LoRA r 64 / α 128 on the
 *   `flow-grpo` targets, one optimizer step per epoch; AdamW as the reference trainers' base config).
 * - cpu: sized for the `small` model on two CPU cores (bench/rl.ts measures it): 2 of the 6 sampler
 *   timesteps trained per sample (`int(6·0.34)`; the update, not the rollout, dominated an epoch at 5 of 6)
 *   and per-group training noise (row-noise.ts), for every algorithm alike.
 * - cpu-tiny: the `tiny` model (16 px) on two CPU cores, the preset of `portraitrl demo`: the cpu
 *   preset's sampling and update, 16 groups per epoch (an epoch is about 5 s, so a run sees several
 *   thousand prompts) and lr 5e-4.
 * - tiny: the `tiny` model, for tests.
 */
import { z } from "zod";
import { isConfigMapping, mergeConfig, type ConfigMapping } from "../../runtime/config-file.js";
import { UserError } from "../../runtime/errors.js";
import { firstIssue } from "../../runtime/zod-error.js";
import { LoraConfigSchema } from "../../model/lora.js";
import { FORWARD_ENGINES } from "../../model/forward.js";
import { AGGREGATION_RECIPES } from "../../reward/aggregate.js";
import { REWARD_VARIANTS } from "../../reward/factory.js";
import { algorithmNames, resolveAlgorithm } from "../algorithms.js";
import type { ResolvedAlgorithm } from "../recipe.js";

/** Val records a validation point scores when `--val-every` is given without `--val-samples`. */
export const DEFAULT_VAL_SAMPLES = 100;

export const TRAIN_PRESETS = ["paper", "cpu", "cpu-tiny", "tiny"] as const;
export type TrainPreset = (typeof TRAIN_PRESETS)[number];

const posInt = z.number().int().positive();

export const OptimizerSchema = z.strictObject({
  lr: z.number().positive(),
  beta1: z.number().min(0).max(1),
  beta2: z.number().min(0).max(1),
  eps: z.number().positive(),
  weightDecay: z.number().min(0),
  clipNorm: z.number().min(0),
});

export const SamplingSchema = z.strictObject({
  /** Sampling steps of a rollout (the grid has steps + 1 times). */
  steps: posInt,
  solver: z.enum(["euler", "dpm2m"]),
  /** FLUX time shift: by the target token count ("tokens"), none, or a pinned mu. */
  shift: z.union([z.literal("tokens"), z.literal("none"), z.strictObject({ mu: z.number() })]),
  /** Fraction of the sampler's steps trained per sample (`int(steps·fraction)`). */
  timestepFraction: z.number().gt(0).max(1),
  /**
   * Noise of the forward-process rows: "per-row" draws a fresh ε and timestep order for every sample
   * (the reference trainers); "per-group" lets the G samples of a group share them (common random
   * numbers: each row's ε and t keep their distribution, so the expected gradient is unchanged, but the
   * ε in v = ε − x0 cancels between a group's positive and negative samples).
   */
  trainNoise: z.enum(["per-row", "per-group"]),
  /**
   * The forward engine of the rollouts and of the update's no-gradient forwards (v_old, v_ref): the
   * jitted jax-js velocity (absent: the default) or the model's ONNX export on onnxruntime-node
   * (model/forward.ts; weights handed over by reference). The gradient step stays on jax-js. The two agree
   * to float rounding, so a run is bit-identical run to run on either, but not across them.
   */
  engine: z.enum(FORWARD_ENGINES).optional(),
}).refine((s) => Math.floor(s.steps * s.timestepFraction) >= 1, {
  path: ["timestepFraction"],
  message: "steps × timestepFraction must leave at least one timestep to train (int(steps·fraction) ≥ 1)",
});

export const TrainConfigSchema = z.strictObject({
  preset: z.enum(TRAIN_PRESETS),
  /** The model preset the `--init` checkpoint must have. */
  modelPreset: z.string().min(1),
  /** A registered algorithm (src/rl/algorithms.ts). */
  algorithm: z.string().min(1),
  /** The algorithm's own settings (validated by its schema in src/rl/algorithms.ts). */
  algo: z.record(z.string(), z.unknown()),
  lora: LoraConfigSchema,
  /** G: images per group. */
  groupSize: z.number().int().min(2, "must be at least 2 (a group of one has no within-group statistics)"),
  groupsPerEpoch: posInt,
  epochs: posInt,
  sampling: SamplingSchema,
  optimizer: OptimizerSchema,
  /** Optimizer steps per epoch (gradient accumulation over the epoch's rows in as many chunks). */
  stepsPerEpoch: posInt,
  /** Rows (sample × timestep) per forward+backward call. */
  microBatch: posInt,
  /** Samples per rollout call. */
  rolloutBatch: posInt,
  reward: z.strictObject({
    variant: z.enum(REWARD_VARIANTS),
    /** w_dp of Eq. 13 (w_pf = 1 − w_dp). */
    wDp: z.number().min(0).max(1),
    /**
     * How the objectives are combined, the same for every algorithm (DESIGN §4, paper §4.1): Eq. 12–13
     * within-group standardisation ("standardized", every preset's default) or the weighted raw sum
     * with group mean and global std ("raw-sum", the baselines' own recipe, an ablation arm).
     */
    recipe: z.enum(AGGREGATION_RECIPES),
  }),
  evalEma: z.strictObject({ cap: z.number().min(0).max(1), interval: posInt }),
  /** Checkpoint every this many epochs (the last epoch always). */
  checkpointEvery: posInt,
  /** Checkpoints kept on disk (the newest). */
  keepCheckpoints: posInt,
  /** Write groups/epoch-<k>.jsonl with images every this many epochs (0: never). */
  groupsEvery: z.number().int().min(0),
  /** Consecutive optimizer steps with a NaN loss after which the run stops. */
  maxNanSteps: posInt,
  seed: z.number().int().min(0),
  /**
   * The validation curve (absent: none): after every `every` epochs (and the last), the eval EMA of the
   * LoRA is evaluated on the first `samples` records of the val split (held-out judge, pixel distances)
   * and the means go into that epoch's metrics line as `val`. A run checkpoints at those epochs too, so
   * a stop chosen on the curve has its checkpoint.
   */
  validation: z.strictObject({ every: posInt, samples: posInt }).optional(),
});
export type TrainConfig = z.infer<typeof TrainConfigSchema>;

const ADAMW_BASE = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4, clipNorm: 1 };

const CPU: Omit<TrainConfig, "algorithm" | "algo"> = {
  preset: "cpu",
  modelPreset: "small",
  lora: { rank: 16, alpha: 32, targets: "flow-grpo" },
  groupSize: 8,
  groupsPerEpoch: 8,
  epochs: 8,
  sampling: { steps: 6, solver: "euler", shift: "tokens", timestepFraction: 0.34, trainNoise: "per-group" },
  optimizer: { ...ADAMW_BASE, lr: 1e-3 },
  stepsPerEpoch: 2,
  microBatch: 32,
  rolloutBatch: 32,
  reward: { variant: "ours", wDp: 0.5, recipe: "standardized" },
  evalEma: { cap: 0.9, interval: 1 },
  checkpointEvery: 2,
  keepCheckpoints: 2,
  groupsEvery: 2,
  maxNanSteps: 3,
  seed: 0,
};

const PRESETS: Record<TrainPreset, Omit<TrainConfig, "algorithm" | "algo">> = {
  paper: {
    preset: "paper",
    modelPreset: "small",
    lora: { rank: 64, alpha: 128, targets: "flow-grpo" },
    groupSize: 8,
    groupsPerEpoch: 48,
    epochs: 60,
    sampling: { steps: 6, solver: "euler", shift: "tokens", timestepFraction: 0.99, trainNoise: "per-row" },
    optimizer: ADAMW_BASE,
    stepsPerEpoch: 1,
    microBatch: 32,
    rolloutBatch: 64,
    reward: { variant: "ours", wDp: 0.5, recipe: "standardized" },
    evalEma: { cap: 0.9, interval: 1 },
    checkpointEvery: 5,
    keepCheckpoints: 2,
    groupsEvery: 10,
    maxNanSteps: 3,
    seed: 0,
  },
  cpu: CPU,
  "cpu-tiny": {
    ...CPU,
    preset: "cpu-tiny",
    modelPreset: "tiny",
    groupsPerEpoch: 16,
    epochs: 60,
    optimizer: { ...ADAMW_BASE, lr: 5e-4 },
    checkpointEvery: 5,
    groupsEvery: 5,
  },
  tiny: {
    preset: "tiny",
    modelPreset: "tiny",
    lora: { rank: 4, alpha: 8, targets: "flow-grpo" },
    groupSize: 4,
    groupsPerEpoch: 4,
    epochs: 4,
    sampling: { steps: 4, solver: "euler", shift: "tokens", timestepFraction: 0.99, trainNoise: "per-row" },
    optimizer: { ...ADAMW_BASE, lr: 3e-3 },
    stepsPerEpoch: 1,
    microBatch: 16,
    rolloutBatch: 16,
    reward: { variant: "ours", wDp: 0.5, recipe: "standardized" },
    evalEma: { cap: 0.9, interval: 1 },
    checkpointEvery: 1,
    keepCheckpoints: 2,
    groupsEvery: 0,
    maxNanSteps: 3,
    seed: 0,
  },
};

/** The training preset when none is given: the CPU recipe for the init checkpoint's model preset (small → cpu, tiny → cpu-tiny). */
export function defaultTrainPreset(modelPreset: string | null): TrainPreset {
  return (["cpu", "cpu-tiny"] as const).find((name) => PRESETS[name].modelPreset === modelPreset) ?? "cpu";
}

export function isTrainPreset(name: string): name is TrainPreset {
  return (TRAIN_PRESETS as readonly string[]).includes(name);
}

/** Overrides from the command line (absent = keep the preset's / file's value). */
export interface TrainOverrides {
  epochs?: number;
  seed?: number;
  groupSize?: number;
  groupsPerEpoch?: number;
  reward?: string;
  rewardRecipe?: string;
  /** The forward engine of the rollouts and no-gradient forwards (sampling.engine). */
  engine?: string;
  /** The validation curve: every this many epochs, on this many val records. */
  valEvery?: number;
  valSamples?: number;
}

export interface ResolvedTrainConfig {
  config: TrainConfig;
  algorithm: ResolvedAlgorithm;
}

/**
 * Preset ← file ← flags, validated. `file` is the already-read YAML mapping (with `fileName` for messages).
 * The algorithm's own settings sit under `algo:` and are completed with its defaults.
 */
export function resolveTrainConfig(algorithm: string, preset: string, file: ConfigMapping | null, fileName: string, flags: TrainOverrides): ResolvedTrainConfig {
  if (!isTrainPreset(preset)) throw new UserError(`--preset: unknown preset "${preset}"; valid: ${TRAIN_PRESETS.join(", ")}`, 2);
  if (!algorithmNames().includes(algorithm)) throw new UserError(`--algo: unknown algorithm "${algorithm}"; valid: ${algorithmNames().join(", ")}`, 2);
  const fromFile = file ?? {};
  for (const key of ["preset", "algorithm"]) if (key in fromFile) throw new UserError(`${fileName}: field ${key}: set it on the command line (--${key === "algorithm" ? "algo" : key})`, 2);
  let merged: ConfigMapping = mergeConfig({ ...structuredClone(PRESETS[preset]), algorithm, algo: {} }, fromFile);
  const flagPart: ConfigMapping = {};
  if (flags.epochs !== undefined) flagPart.epochs = flags.epochs;
  if (flags.seed !== undefined) flagPart.seed = flags.seed;
  if (flags.groupSize !== undefined) flagPart.groupSize = flags.groupSize;
  if (flags.groupsPerEpoch !== undefined) flagPart.groupsPerEpoch = flags.groupsPerEpoch;
  if (flags.reward !== undefined || flags.rewardRecipe !== undefined) {
    flagPart.reward = { ...(flags.reward !== undefined ? { variant: flags.reward } : {}), ...(flags.rewardRecipe !== undefined ? { recipe: flags.rewardRecipe } : {}) };
  }
  if (flags.engine !== undefined) flagPart.sampling = { engine: flags.engine };
  if (flags.valEvery !== undefined || flags.valSamples !== undefined) {
    flagPart.validation = { ...(isConfigMapping(merged.validation) ? merged.validation : { samples: DEFAULT_VAL_SAMPLES }), ...(flags.valEvery !== undefined ? { every: flags.valEvery } : {}), ...(flags.valSamples !== undefined ? { samples: flags.valSamples } : {}) };
  }
  merged = mergeConfig(merged, flagPart);
  const parsed = TrainConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const { field, what } = firstIssue(parsed.error);
    throw new UserError(`${file ? fileName : "command line"}: field ${field}: ${what}`, 2);
  }
  const resolved = resolveAlgorithm(algorithm, parsed.data.algo, `${file ? fileName : "config"}: algo`);
  const config: TrainConfig = { ...parsed.data, algo: resolved.config };
  return { config, algorithm: resolved };
}
