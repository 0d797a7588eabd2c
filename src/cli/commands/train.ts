/**
 * `portraitrl train --algo A --data DIR --init SFT_CKPT|SFT_RUN --out RUN [--preset paper|cpu|cpu-tiny|tiny] [--config FILE.yaml]
 *  [--epochs N --seed S --engine jax|onnx --judge-url ...]`: RL post-training of a LoRA on top of the SFT checkpoint's base
 * weights. Everything is validated before anything is written; an existing RUN of the same config is
 * resumed from its latest checkpoint. SIGINT finishes the epoch's update (or abandons its rollouts),
 * checkpoints and exits 130; a second SIGINT exits at once.
 */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadDataset } from "../../data/index.js";
import { chooseBaseWeights, DEFAULT_FORWARD_ENGINE, loadCheckpoint, requireEngine, tokenDim, tokensPerImage } from "../../model/index.js";
import { readConfigFile } from "../../runtime/config-file.js";
import { UserError } from "../../runtime/errors.js";
import { checkFitsInMemory } from "../../runtime/memory-bound.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { AGGREGATION_RECIPES, parseRewardVariant, REWARD_VARIANTS } from "../../reward/index.js";
import { buildReward, checkRewardSources } from "../../eval/reward-factory.js";
import { openValidationScorer } from "../../eval/validation.js";
import { algorithmNames } from "../../rl/algorithms.js";
import { DEFAULT_VAL_SAMPLES, TRAIN_PRESETS, defaultTrainPreset, inspectTrainRun, resolveTrainConfig, runPaths, train } from "../../rl/trainer/index.js";
import { addEngineOption, addJudgeOptions, engineFlag, judgeConfigFrom, type JudgeFlags } from "../shared-options.js";
import { optionalInt } from "../int-flag.js";
import { resolveInitCheckpoint } from "../init-checkpoint.js";
import { interruptible } from "../interrupt.js";
import { baseWeightChoice } from "../weights-flag.js";

interface TrainCliOptions extends JudgeFlags {
  algo: string;
  data: string;
  init: string;
  out: string;
  preset?: string;
  config?: string;
  epochs?: string;
  seed?: string;
  groupSize?: string;
  groupsPerEpoch?: string;
  reward?: string;
  rewardRecipe?: string;
  engine?: string;
  valEvery?: string;
  valSamples?: string;
  clipModel?: string;
  dinoModel?: string;
  initWeights: string;
  progress: boolean;
}


export function registerTrain(program: Command): void {
  const cmd = program
    .command("train")
    .description("RL post-training (NaSPO or a baseline) of a LoRA on top of an SFT checkpoint; resumes RUN when it exists")
    .requiredOption("--algo <name>", `algorithm: ${algorithmNames().join(", ")}`)
    .requiredOption("--data <dir>", "dataset folder (train split)")
    .requiredOption("--init <ckpt>", "SFT checkpoint folder, or an SFT run folder (its latest checkpoint); its base weights are frozen, a LoRA is trained")
    .requiredOption("--out <run>", "run folder (created, or resumed from checkpoints/latest)")
    .option("--preset <name>", `training preset: ${TRAIN_PRESETS.join(", ")} (default: cpu for a small --init, cpu-tiny for a tiny one)`)
    .option("--config <file>", "YAML/JSON overriding preset fields (as in RUN/config.json; algorithm settings under algo:)")
    .option("--epochs <n>", "epochs (a finished run can be extended with a larger value)")
    .option("--seed <s>", "seed of the LoRA init, group order, noise and timesteps")
    .option("--group-size <g>", "G: images per group (at least 2)")
    .option("--groups-per-epoch <n>", "groups sampled per epoch")
    .option("--reward <variant>", `reward: ${REWARD_VARIANTS.join(" | ")}`)
    .option("--reward-recipe <recipe>", "how DP and PF are combined, the same for every algorithm: standardized (Eq. 12–13, the default) or raw-sum (the ablation arm)")
    .option("--val-every <n>", "the validation curve: every N epochs (and the last) score the eval EMA of the LoRA on val records with eval's judge and pixel distances, into metrics.jsonl `val`; checkpoints at those epochs")
    .option("--val-samples <k>", `val records per validation point (the first K; default ${DEFAULT_VAL_SAMPLES})`)
    .option("--init-weights <which>", "which weights of --init: ema (when the checkpoint has an EMA) or base", "ema")
    .option("--no-progress", "no progress bar (it is only drawn on a TTY anyway)");
  addEngineOption(cmd, "the rollouts and the update's no-gradient forwards (absent: the config's sampling.engine, else the default)");
  addJudgeOptions(cmd).action(async (o: TrainCliOptions) => {
    // ---- validate everything before writing anything
    const file = o.config ? readConfigFile(o.config) : null;
    if (o.reward !== undefined) parseRewardVariant(o.reward);
    if (o.rewardRecipe !== undefined && !(AGGREGATION_RECIPES as readonly string[]).includes(o.rewardRecipe)) {
      throw new UserError(`--reward-recipe ${JSON.stringify(o.rewardRecipe)}: expected ${AGGREGATION_RECIPES.join(" or ")}`, 2);
    }
    const engine = o.engine !== undefined ? engineFlag(o.engine) : undefined;
    const epochs = optionalInt("--epochs", o.epochs, 1);
    const seed = optionalInt("--seed", o.seed, 0);
    const groupSize = optionalInt("--group-size", o.groupSize, 0);
    const groupsPerEpoch = optionalInt("--groups-per-epoch", o.groupsPerEpoch, 1);
    const valEvery = optionalInt("--val-every", o.valEvery, 1);
    const valSamples = optionalInt("--val-samples", o.valSamples, 1);
    const init = resolveInitCheckpoint("--init", resolve(o.init));
    const { config, algorithm } = resolveTrainConfig(o.algo, o.preset ?? defaultTrainPreset(init.modelPreset), file, o.config ?? "", {
      ...(epochs !== undefined ? { epochs } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(groupSize !== undefined ? { groupSize } : {}),
      ...(groupsPerEpoch !== undefined ? { groupsPerEpoch } : {}),
      ...(o.reward !== undefined ? { reward: o.reward } : {}),
      ...(o.rewardRecipe !== undefined ? { rewardRecipe: o.rewardRecipe } : {}),
      ...(engine !== undefined ? { engine } : {}),
      ...(valEvery !== undefined ? { valEvery } : {}),
      ...(valSamples !== undefined ? { valSamples } : {}),
    });
    await requireEngine(config.sampling.engine ?? DEFAULT_FORWARD_ENGINE, `sampling.engine ${config.sampling.engine}`);
    const initWeights = baseWeightChoice("--init-weights", o.initWeights);
    const out = resolve(o.out);
    const judgeCfg = judgeConfigFrom(o, runPaths.judgeCache(out));
    const variant = parseRewardVariant(config.reward.variant, `${o.config ?? "config"}: reward.variant`);
    const sources = { judge: judgeCfg, clipModel: o.clipModel ?? null, dinoModel: o.dinoModel ?? null };
    checkRewardSources(variant, sources, o.data);
    const ck = await loadCheckpoint(init.dir, { expectPreset: config.modelPreset });
    const { base, ema } = chooseBaseWeights(ck, initWeights);
    const side = ck.config.imageSize;
    checkFitsInMemory(`--group-size ${config.groupSize} × --groups-per-epoch ${config.groupsPerEpoch}`, config.groupSize * config.groupsPerEpoch, "rollouts in one epoch",
      4 * (tokensPerImage(ck.config) * tokenDim(ck.config) + side * side * 3), `the generated tokens and ${side}x${side} image, float32`);
    const records = await loadDataset(o.data, "train");
    const validation = config.validation
      ? await openValidationScorer({ data: resolve(o.data), samples: config.validation.samples, model: ck.config, lora: config.lora, base, judge: { ...judgeCfg, synthetic: "held-out" }, engine: config.sampling.engine ?? "jax" })
      : null;
    await holdRunLock(out, "--out");
    const run = await inspectTrainRun(out, config);

    // ---- the reward
    const ready = await buildReward(variant, sources, records.every((r) => r.attributes !== undefined), o.data);
    for (const line of ready.probe) process.stderr.write(`${line}\n`);
    const judgeInfo = { reward: variant, ...ready.describe, ...(variant === "ours" || variant === "dual-pd" ? { cache: judgeCfg.cacheFile ?? null } : {}) };
    const reward = ready.reward;

    // ---- SIGINT: finish the step, checkpoint, exit 130; a second one exits at once
    try {
      const result = await interruptible("finishing the current step, then checkpointing", (stopping) =>
        train({
          out,
          config,
          algorithm,
          init: { config: ck.config, base, path: `${init.dir}${ema ? " (ema)" : ""}` },
          records,
          dataDir: resolve(o.data),
          reward,
          judgeInfo,
          run,
          progress: o.progress,
          shouldStop: stopping,
          ...(validation ? { validate: async (lora: Float32Array, epochs: number) => ({ epochs, ...(await validation.score(lora)) }) } : {}),
          log: (line) => process.stderr.write(`${line}\n`),
        }),
      );
      process.stdout.write(JSON.stringify({ status: result.status, epochs: result.epochs, step: result.step, checkpoint: result.checkpoint, metrics: join(out, "metrics.jsonl") }) + "\n");
      if (result.status === "interrupted") throw new UserError(`interrupted after epoch ${result.epochs}; resume with the same command`, 130);
      if (result.status === "nan-stop") throw new UserError(`stopped: ${config.maxNanSteps} optimizer steps in a row had a NaN loss; the last good checkpoint is ${result.checkpoint ?? "(none)"}`, 1);
    } finally {
      await reward.close();
      await validation?.close();
    }
  });
}
