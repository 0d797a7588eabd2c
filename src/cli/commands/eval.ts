/**
 * `portraitrl eval --ckpt C --data DIR --split test --out EVAL_DIR [judge flags] [--clip-model DIR
 * --dino-model DIR --samples N --steps S --seed X --method LABEL]`: one image per test record with fixed
 * per-record seeds, scored by the judge, the synthetic ground truth and CLIP/DINO; writes an eval folder
 * (scratch/FORMATS.md). `--editor copy-reference|oracle-target` evaluates the trivial editors instead.
 */
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { runEval, type EditorChoice } from "../../eval/run-eval.js";
import { METRIC_NAMES, metricOf, type MetricName } from "../../eval/format.js";
import { SYNTHETIC_JUDGE_KINDS, type SyntheticJudgeKind } from "../../reward/judge-config.js";
import { UserError } from "../../runtime/errors.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { addEngineOption, addJudgeOptions, engineFlag, judgeConfigFrom, type JudgeFlags } from "../shared-options.js";
import { optionalInt, requiredInt } from "../int-flag.js";
import { baseWeightChoice } from "../weights-flag.js";
import { SPLIT_HELP } from "../split-flag.js";

interface EvalCliOptions extends JudgeFlags {
  ckpt?: string;
  weights: string;
  editor: string;
  data: string;
  split: string;
  out: string;
  samples?: string;
  steps: string;
  seed: string;
  method?: string;
  batchSize: string;
  size?: string;
  overwrite?: boolean;
  syntheticJudge: string;
  engine?: string;
}

function syntheticJudgeKind(text: string): SyntheticJudgeKind {
  if (!(SYNTHETIC_JUDGE_KINDS as readonly string[]).includes(text)) throw new UserError(`--synthetic-judge ${JSON.stringify(text)}: expected one of ${SYNTHETIC_JUDGE_KINDS.join(", ")}`, 2);
  return text as SyntheticJudgeKind;
}


function editorChoice(o: EvalCliOptions): EditorChoice {
  if (o.editor === "checkpoint") {
    if (!o.ckpt) throw new UserError("--ckpt DIR is required (or --editor copy-reference|oracle-target)");
    return { kind: "checkpoint", ckpt: o.ckpt };
  }
  if (o.ckpt) throw new UserError(`--ckpt and --editor ${o.editor} exclude each other`);
  if (o.editor === "copy-reference" || o.editor === "oracle-target") return { kind: o.editor };
  throw new UserError(`--editor ${JSON.stringify(o.editor)}: expected checkpoint, copy-reference or oracle-target`);
}

export function registerEval(program: Command): void {
  const cmd = program
    .command("eval")
    .description("generate one image per record of a split and write an eval folder: judge DP/PF, ground truth (synthetic data), CLIP-I/DINO-I/CLIP-T, each with mean and bootstrap 95% CI")
    .option("--ckpt <dir>", "model checkpoint folder")
    .option("--weights <which>", "which weights of --ckpt: ema (the EMA it keeps: an SFT checkpoint's EMA, as `train --init` starts from, or an RL run's eval EMA of its LoRA; the same rule for every method) or base (the trained weights)", "ema")
    .option("--editor <kind>", "checkpoint | copy-reference | oracle-target (the last two need no --ckpt)", "checkpoint")
    .requiredOption("--data <dir>", "dataset folder (DESIGN §7)")
    .option("--split <split>", SPLIT_HELP, "test")
    .requiredOption("--out <dir>", "eval folder to write (eval.json, samples.jsonl, images/)")
    .option("--samples <n>", "evaluate only the first N records")
    .option("--steps <n>", "sampling steps (Euler, FLUX shift)", "6")
    .option("--seed <n>", "eval seed: with each record id it fixes the record's noise; also seeds the bootstrap", "0")
    .option("--method <label>", "label stored in eval.json (e.g. sft, naspo)")
    .option("--batch-size <n>", "records per generation batch", "32")
    .option("--size <px>", "image side for copy-reference / oracle-target (default: the records' size)")
    .option("--overwrite", "replace an existing --out folder")
    .option("--synthetic-judge <kind>", "without --judge-url: held-out (a judge that is not the training reward, see README) or reward (the training reward's own judge)", "held-out");
  addEngineOption(cmd, "the sampler (the same images to float rounding)");
  addJudgeOptions(cmd).action(async (o: EvalCliOptions) => {
    const editor = editorChoice(o);
    const weights = baseWeightChoice("--weights", o.weights);
    const out = resolve(o.out);
    const samples = optionalInt("--samples", o.samples, 1);
    const size = optionalInt("--size", o.size, 1);
    await holdRunLock(out, "--out");
    await runEval({
      data: o.data,
      split: o.split,
      out,
      editor,
      judge: { ...judgeConfigFrom(o, join(dirname(out), "judge-cache.jsonl")), synthetic: syntheticJudgeKind(o.syntheticJudge) },
      clipModel: o.clipModel ?? null,
      dinoModel: o.dinoModel ?? null,
      ...(samples !== undefined ? { samples } : {}),
      steps: requiredInt("--steps", o.steps, 1),
      seed: requiredInt("--seed", o.seed, 0),
      ...(o.method !== undefined ? { method: o.method } : {}),
      batchSize: requiredInt("--batch-size", o.batchSize, 1),
      ...(size !== undefined ? { size } : {}),
      overwrite: o.overwrite === true,
      weights,
      engine: engineFlag(o.engine),
    }).then((folder) => {
      const m = folder.eval.metrics;
      const fmt = (k: MetricName): string => {
        const mean = metricOf(m, k).mean;
        return mean === null ? "null" : mean.toFixed(4);
      };
      process.stdout.write(`${JSON.stringify({ out: folder.dir, n: folder.samples.length, metrics: Object.fromEntries(METRIC_NAMES.map((k) => [k, fmt(k)])) })}\n`);
    });
  });
}
