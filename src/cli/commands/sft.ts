/**
 * `portraitrl sft --data DIR --out RUN [--init CKPT|SFT_RUN] [--preset P --steps N --batch B --lr X --seed S --config FILE
 * --ckpt-every K --keep-checkpoints N --log-every K --no-ema --resize warn|refuse]`: cold-start SFT of the built-in editing
 * model on the train split (src/sft). The config (defaults ← FILE ← flags) and the whole dataset are
 * validated before any work starts. Re-running with the same RUN resumes from its last checkpoint.
 * --init continues from a checkpoint's weights (its EMA when it has one) and model config, with a fresh
 * optimizer: the "SFT continued" baseline the demo sets beside RL.
 * SIGINT finishes the current step, checkpoints and exits 130; a second one exits at once.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { loadDataset } from "../../data/index.js";
import { checkpointHash, chooseBaseWeights, loadCheckpoint, type LoadedCheckpoint } from "../../model/index.js";
import { UserError } from "../../runtime/errors.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { resolveSftConfig, runSft, TRAINABLE_PRESETS } from "../../sft/index.js";
import { resolveInitCheckpoint } from "../init-checkpoint.js";
import { interruptible } from "../interrupt.js";

interface SftCliOptions {
  data: string;
  out: string;
  init?: string;
  config?: string;
  preset?: string;
  steps?: string;
  batch?: string;
  lr?: string;
  seed?: string;
  ckptEvery?: string;
  keepCheckpoints?: string;
  logEvery?: string;
  ema: boolean;
  resize?: string;
  progress: boolean;
}

function num(flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n))) {
    throw new UserError(`${flag} ${JSON.stringify(text)}: expected ${integer ? "an integer" : "a number"}`, 2);
  }
  return n;
}

/** Only the flags the user set, shaped like the config (undefined entries are dropped). */
function flagOverrides(o: SftCliOptions): Record<string, unknown> {
  const drop = (x: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined));
  const optimizer = drop({ lr: num("--lr", o.lr, false) });
  return drop({
    preset: o.preset,
    steps: num("--steps", o.steps, true),
    batchSize: num("--batch", o.batch, true),
    seed: num("--seed", o.seed, true),
    ckptEvery: num("--ckpt-every", o.ckptEvery, true),
    keepCheckpoints: num("--keep-checkpoints", o.keepCheckpoints, true),
    logEvery: num("--log-every", o.logEvery, true),
    resize: o.resize,
    ema: o.ema ? undefined : null,
    optimizer: Object.keys(optimizer).length > 0 ? optimizer : undefined,
  });
}

/** The checkpoint `--init` names, and how the run's config records it; --preset must agree with it. */
async function initFrom(path: string, preset: string | undefined): Promise<{ ck: LoadedCheckpoint; recorded: { checkpoint: string; sha256: string } }> {
  const dir = resolveInitCheckpoint("--init", resolve(path)).dir;
  const ck = await loadCheckpoint(dir);
  if (preset !== undefined && preset !== ck.config.preset) {
    throw new UserError(`--preset ${preset}: --init ${path} is a ${ck.config.preset} model; leave --preset out to continue it`, 2);
  }
  return { ck, recorded: { checkpoint: dir, sha256: checkpointHash(dir) } };
}

export function registerSft(program: Command): void {
  program
    .command("sft")
    .description("cold-start SFT (flow matching on reference/instruction/target triplets); resumes an existing RUN")
    .requiredOption("--data <dir>", "dataset folder (train.jsonl with target_image)")
    .requiredOption("--out <run>", "run folder (created, or resumed from its last checkpoint)")
    .option("--init <ckpt>", "continue from this checkpoint (or SFT run folder: its latest) instead of a random initialisation: its weights (EMA when it has one) and model; fresh optimizer")
    .option("--config <file>", "YAML/JSON file overriding the defaults (fields as in config.json)")
    .option("--preset <name>", `model preset: ${TRAINABLE_PRESETS.join(", ")} (default small)`)
    .option("--steps <n>", "total optimizer steps (default 2000)")
    .option("--batch <b>", "batch size (default 32)")
    .option("--lr <x>", "peak learning rate after warm-up (default 1e-3)")
    .option("--seed <s>", "seed of the initialisation, batches and noise (default 0)")
    .option("--ckpt-every <k>", "checkpoint every k steps (default 250)")
    .option("--keep-checkpoints <n>", "checkpoints kept on disk, the newest (default 3)")
    .option("--log-every <k>", "one metrics.jsonl line every k steps (default 10)")
    .option("--no-ema", "do not keep an EMA of the weights (default: EMA 0.998)")
    .option("--resize <policy>", "images of another size: warn (resize) or refuse (default warn)")
    .option("--no-progress", "no progress bar (it is only drawn on a TTY anyway)")
    .action(async (o: SftCliOptions) => {
      const init = o.init === undefined ? null : await initFrom(o.init, o.preset);
      const config = resolveSftConfig(o.config, { ...flagOverrides(o), ...(init ? { preset: init.ck.config.preset, init: init.recorded } : {}) });
      const records = await loadDataset(o.data, "train");
      await holdRunLock(resolve(o.out), "--out");
      const r = await interruptible("finishing the step, then checkpointing", (stopping) =>
        runSft({
          out: o.out,
          config,
          records,
          dataDir: o.data,
          ...(init ? { init: { config: init.ck.config, base: chooseBaseWeights(init.ck, "ema").base } } : {}),
          progress: o.progress,
          shouldStop: stopping,
          log: (line) => process.stderr.write(`portraitrl: ${line}\n`),
        }),
      );
      process.stdout.write(JSON.stringify({ status: r.status, step: r.step, checkpoint: r.checkpoint, loss: r.loss }) + "\n");
      if (r.status === "interrupted") throw new UserError(`interrupted at step ${r.step}; checkpoint ${r.checkpoint}; re-run the same command to resume`, 130);
    });
}
