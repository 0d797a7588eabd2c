/**
 * `portraitrl eval` as a library call (the CLI and `compare` use it): check every input first (exit 2, one
 * line, before any work), generate one image per record of the split with the chosen editor, score it
 * (evaluate.ts) and write the eval folder atomically (folder.ts), recording the checkpoint (path and
 * sha256), judge (name, model, prompt hashes, levels), embedders (folders and preprocessing), seed, steps
 * and versions. A failed run leaves nothing at `out`.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadDataset, splitFile, SPLITS, type DatasetRecord, type Split } from "../data/index.js";
import { chooseWeights, DEFAULT_FORWARD_ENGINE, engineVersions, forwardEngineFlag, loadCheckpoint, requireEngine, type BaseWeightChoice, type ForwardEngine } from "../model/index.js";
import { buildJudge, checkJudgeConfig, type JudgeConfig } from "../reward/judge-config.js";
import { DEFAULT_PROMPT_DIR, loadTemplates } from "../reward/prompts.js";
import type { Judge } from "../reward/types.js";
import { UserError } from "../runtime/errors.js";
import { initJax } from "../runtime/jax.js";
import { versions } from "../runtime/versions.js";
import { copyReferenceEditor, oracleTargetEditor } from "./editors.js";
import { loadEvalEmbedders } from "./embedders.js";
import { evaluateEditor, type Editor } from "./evaluate.js";
import { writeEvalFolder, type EvalFolder } from "./folder.js";
import type { EvalMeta } from "./format.js";
import { DEFAULT_EVAL_STEPS, checkpointEditor } from "./generate.js";

export type EditorChoice = { kind: "checkpoint"; ckpt: string } | { kind: "copy-reference" } | { kind: "oracle-target" };

export interface RunEvalOptions {
  data: string;
  split: string;
  /** The eval folder to write. */
  out: string;
  editor: EditorChoice;
  /** No urls: the synthetic judge (synthetic data only). */
  judge: JudgeConfig;
  clipModel?: string | null;
  dinoModel?: string | null;
  /** Evaluate only the first N records of the split. */
  samples?: number;
  steps?: number;
  seed?: number;
  /** Label stored as eval.json "method" (default: the editor kind). */
  method?: string;
  batchSize?: number;
  /** Image side for the checkpoint-free editors (default: the records' size); a checkpoint uses its own. */
  size?: number;
  overwrite?: boolean;
  /**
   * "ema" (default): the EMA the checkpoint keeps, the same rule for every method — an SFT checkpoint's
   * EMA of its weights (as `train --init` starts from), an RL run's eval EMA of its LoRA; "base": the
   * trained weights (model/checkpoint.ts chooseWeights).
   */
  weights?: BaseWeightChoice;
  /** Forward engine of a checkpoint's sampler (default: model/forward.ts `DEFAULT_FORWARD_ENGINE`). */
  engine?: ForwardEngine;
  /** Progress and notices (default: stderr). */
  log?: (line: string) => void;
}

const sha256 = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");

/** Everything checkable without work; throws UserError(exit 2). */
async function checkInputs(o: RunEvalOptions): Promise<{ split: Split; ckptDir: string | null }> {
  if (!SPLITS.includes(o.split as Split)) throw new UserError(`--split ${JSON.stringify(o.split)}: expected one of ${SPLITS.join(", ")}`);
  const split = o.split as Split;
  if (!existsSync(o.data) || !statSync(o.data).isDirectory()) throw new UserError(`--data ${o.data}: no such dataset folder`);
  if (!(await splitFile(o.data, split))) throw new UserError(`--data ${o.data}: the dataset has no ${split} split (no ${split}.jsonl)`);
  if (existsSync(o.out) && !o.overwrite) throw new UserError(`--out ${o.out}: already exists (pass --overwrite to replace it)`);
  for (const [flag, v] of [["--samples", o.samples], ["--steps", o.steps], ["--batch-size", o.batchSize], ["--size", o.size]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UserError(`${flag} ${v}: expected a positive integer`);
  }
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new UserError(`--seed ${o.seed}: expected an integer`);
  const engine = forwardEngineFlag("--engine", o.engine ?? DEFAULT_FORWARD_ENGINE);
  if (engine !== DEFAULT_FORWARD_ENGINE && o.editor.kind !== "checkpoint") throw new UserError(`--engine ${engine}: only a checkpoint is sampled (--editor ${o.editor.kind} runs no model)`);
  await requireEngine(engine, `--engine ${engine}`);
  let ckptDir: string | null = null;
  if (o.editor.kind === "checkpoint") {
    if (!existsSync(join(o.editor.ckpt, "config.json"))) throw new UserError(`--ckpt ${o.editor.ckpt}: not a checkpoint folder (no config.json)`);
    ckptDir = realpathSync(o.editor.ckpt);
  }
  return { split, ckptDir };
}

function judgeRecord(cfg: JudgeConfig, judge: Judge): EvalMeta["judge"] {
  const levels = judge.levels;
  if (cfg.urls.length === 0) return { name: judge.name, model: null, prompt_sha256: { dp: null, pf: null }, levels: [...levels] };
  const t = loadTemplates(cfg.promptDir ?? DEFAULT_PROMPT_DIR);
  return { name: "openai", model: cfg.model ?? null, prompt_sha256: { dp: sha256(t.dp), pf: sha256(t.pf) }, levels: [...levels] };
}

/** Run one evaluation and write its folder. */
export async function runEval(o: RunEvalOptions): Promise<EvalFolder> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { split, ckptDir } = await checkInputs(o);
  const records: DatasetRecord[] = (await loadDataset(o.data, split)).slice(0, o.samples ?? Infinity);
  const synthetic = records.every((r) => r.attributes !== undefined);
  checkJudgeConfig(o.judge, synthetic, o.data);
  const seed = o.seed ?? 0;
  const steps = o.steps ?? DEFAULT_EVAL_STEPS;
  const engine = o.engine ?? DEFAULT_FORWARD_ENGINE;

  let editor: Editor;
  let size: number;
  let dispose = async (): Promise<void> => {};
  let checkpointSha = "";
  let checkpointLabel = ckptDir ?? "";
  let weights: EvalMeta["weights"] = null;
  if (o.editor.kind === "checkpoint" && ckptDir) {
    const given = o.editor.ckpt;
    const ckpt = await loadCheckpoint(ckptDir).catch((e: unknown) => {
      throw e instanceof UserError ? new UserError(`--ckpt ${given}: ${e.message}`, 2) : e;
    });
    const c = ckpt.config;
    if (c.textEncoder !== "builtin" || c.latentDownsample !== 1 || c.latentChannels !== 3) {
      throw new UserError(`--ckpt ${given}: preset ${c.preset} is not a pixel-space RGB model with the built-in text encoder; it cannot edit these images`);
    }
    const chosen = chooseWeights(ckpt, o.weights ?? "ema");
    weights = chosen.ema === null ? "trained" : chosen.ema === "base" ? "base-ema" : "lora-ema";
    if (chosen.ema !== null) {
      checkpointLabel = `${ckptDir} (ema)`;
      const what = chosen.ema === "base" ? "an SFT checkpoint with an EMA of its weights" : "an RL checkpoint with an eval EMA of its LoRA";
      log(`portraitrl eval: ${given} is ${what}; sampling the EMA weights (--weights base for the trained ones)`);
    }
    await initJax();
    const ed = await checkpointEditor({ ...ckpt, base: chosen.base, ...(chosen.loraWeights ? { loraWeights: chosen.loraWeights } : {}) }, { seed, steps, engine, ...(o.batchSize ? { batchSize: o.batchSize } : {}) });
    editor = ed;
    dispose = () => ed.dispose();
    size = c.imageSize;
    checkpointSha = sha256(readFileSync(join(ckptDir, "config.json")));
  } else {
    size = o.size ?? records.find((r) => r.attributes?.size)?.attributes?.size ?? 0;
    if (size < 1) throw new UserError(`--size is needed: the records of ${o.data} do not say their image size`);
    editor = o.editor.kind === "copy-reference" ? copyReferenceEditor : oracleTargetEditor(size);
    if (o.editor.kind === "oracle-target" && records.some((r) => !r.targetImage)) throw new UserError(`--editor oracle-target: some records of ${o.data} have no target image`);
  }

  const embedders = await loadEvalEmbedders({ clip: o.clipModel ?? null, dino: o.dinoModel ?? null });
  if (!embedders.clip || !embedders.dino) {
    const missing = [...(embedders.clip ? [] : ["clip_i", "clip_t (no --clip-model)"]), ...(embedders.dino ? [] : ["dino_i (no --dino-model)"])];
    log(`portraitrl eval: not computed, reported as null: ${missing.join(", ")}`);
  }
  const ready = await buildJudge(o.judge, synthetic, o.data);
  ready.probe.forEach((line) => log(line));
  try {
    const samples = await evaluateEditor(editor, records, {
      size,
      judge: ready.judge,
      clip: embedders.clip,
      dino: embedders.dino,
      ...(o.batchSize ? { batchSize: o.batchSize } : {}),
      onProgress: (done, total) => log(`portraitrl eval: ${done}/${total} records`),
    });
    const meta: EvalMeta = {
      method: o.method ?? (o.editor.kind === "checkpoint" ? "checkpoint" : o.editor.kind),
      checkpoint: checkpointLabel,
      checkpoint_sha256: checkpointSha,
      weights,
      split,
      seed,
      steps,
      judge: judgeRecord(o.judge, ready.judge),
      embedders: embedders.record,
      ...(o.editor.kind === "checkpoint" ? { engine } : {}),
      versions: { ...versions(), ...engineVersions(engine) },
    };
    return await writeEvalFolder(resolve(o.out), { meta, samples }, { overwrite: o.overwrite ?? false });
  } finally {
    await dispose();
    await ready.judge.close();
  }
}
