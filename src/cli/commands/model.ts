/**
 * `portraitrl model info --preset P [--config FILE] [--lora-rank R --lora-alpha A --lora-targets T]`:
 * prints JSON with the exact base and trainable parameter counts, computed from the spec (shape
 * only, so `flux-kontext-dev` allocates nothing).
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import YAML from "yaml";
import { UserError } from "../../runtime/errors.js";
import {
  buildModel,
  LORA_TARGETS,
  loraModules,
  parseLoraConfig,
  parseModelConfig,
  presetConfig,
  PRESET_NAMES,
  sequenceLength,
  transformerSpec,
  specSize,
  type ModelConfig,
} from "../../model/index.js";
import { requiredInt } from "../int-flag.js";

interface InfoOptions {
  preset: string;
  config?: string;
  loraRank?: string;
  loraAlpha?: string;
  loraTargets: string;
}


function loadConfig(opts: InfoOptions): ModelConfig {
  if (!opts.config) return presetConfig(opts.preset);
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(opts.config, "utf8"));
  } catch (e) {
    throw new UserError(`${opts.config}: cannot read model config (${(e as Error).message.split("\n")[0]})`);
  }
  return parseModelConfig({ ...presetConfig(opts.preset), ...(raw as object) }, opts.config);
}

export function registerModel(program: Command): void {
  const model = program.command("model").description("inspect the built-in editing model");
  model
    .command("info")
    .description("print base and trainable parameter counts (exact integers) as JSON")
    .option("--preset <name>", `model preset: ${PRESET_NAMES.join(", ")}`, "small")
    .option("--config <file>", "JSON/YAML file overriding preset fields")
    .option("--lora-rank <r>", "LoRA rank (omit for full fine-tuning)")
    .option("--lora-alpha <a>", "LoRA alpha (default: 2·rank)")
    .option("--lora-targets <preset>", `LoRA target modules: ${Object.keys(LORA_TARGETS).join(", ")}`, "diffusers-default")
    .action((opts: InfoOptions) => {
      const config = loadConfig(opts);
      const rank = opts.loraRank === undefined ? undefined : requiredInt("--lora-rank", opts.loraRank, 1);
      if (rank === undefined && opts.loraAlpha !== undefined) throw new UserError("--lora-alpha needs --lora-rank");
      const lora =
        rank === undefined
          ? null
          : parseLoraConfig({ rank, alpha: opts.loraAlpha === undefined ? 2 * rank : Number(opts.loraAlpha), targets: opts.loraTargets }, "--lora-*");
      const m = buildModel(config, lora);
      const transformer = specSize(transformerSpec(config));
      const info = {
        preset: config.preset,
        base: m.baseSize,
        transformer,
        textEncoder: m.baseSize - transformer,
        trainable: lora ? m.loraSize : m.baseSize,
        lora: lora && { ...lora, modules: loraModules(config, lora).length, tensors: m.loraSpec.length },
        tokensPerImage: m.tokensPerImage,
        tokenDim: m.tokenDim,
        sequenceLength: sequenceLength(config),
        config,
      };
      process.stdout.write(JSON.stringify(info, null, 2) + "\n");
    });
}
