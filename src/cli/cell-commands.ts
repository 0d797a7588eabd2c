/**
 * What `compare` and `sweep` share on the command line: the CLI entry their child processes run, the
 * judge flags they forward, folder flags, file hashes, and running their cells under Ctrl-C (the first
 * one lets the running cells checkpoint and stop; no new cell starts).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import type { CliRunner } from "../compare/child.js";
import type { CompareSettings } from "../compare/manifest.js";
import type { Cell, CellCommon } from "../compare/plan.js";
import { runCells, type CellOutcome } from "../compare/run-cells.js";
import { STOP_RULES, type StopRule } from "../compare/stop.js";
import { UserError } from "../runtime/errors.js";
import { checkJudgeConfig } from "../reward/index.js";
import { DEFAULT_FORWARD_ENGINE, requireEngine, type ForwardEngine } from "../model/index.js";
import { addEngineOption, addJudgeOptions, engineFlag, judgeConfigFrom, type JudgeFlags } from "./shared-options.js";
import { resolveInitCheckpoint } from "./init-checkpoint.js";
import { optionalInt, requiredInt } from "./int-flag.js";
import { interruptible } from "./interrupt.js";

const SELF = fileURLToPath(import.meta.url);

/** The CLI entry beside this file (main.js when built, main.ts under tsx), run with this process's loader flags. */
export function cliRunner(jobs: number): CliRunner {
  return { nodeArgs: [...process.execArgv.filter((a) => !a.startsWith("--inspect")), join(dirname(SELF), `main${extname(SELF)}`)], prefix: jobs > 1 };
}

/** A folder flag: absolute path, or one line (exit 2) when it is not a folder; null when not given. */
export function folderFlag(flag: string, path: string | undefined): string | null {
  if (path === undefined) return null;
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UserError(`${flag} ${path}: no such folder`, 2);
  return resolve(path);
}

/** The judge flags given on the command line, to forward to every train and eval unchanged (the embedder folders go to eval only, resolved). */
export function judgeArgs(cmd: Command): string[] {
  const out: string[] = [];
  for (const opt of addJudgeOptions(new Command()).options) {
    const key = opt.attributeName();
    if (key === "clipModel" || key === "dinoModel" || cmd.getOptionValueSource(key) !== "cli") continue;
    const v: unknown = cmd.getOptionValue(key);
    if (opt.negate) {
      if (v === false) out.push(opt.long!);
    } else if (v === true) out.push(opt.long!);
    else if (Array.isArray(v)) for (const x of v) out.push(opt.long!, String(x));
    else if (typeof v === "string") out.push(opt.long!, v);
  }
  return out;
}

/** The flags `compare` and `sweep` share. */
export interface CellCommandFlags extends JudgeFlags {
  data: string;
  init: string;
  out: string;
  preset: string;
  epochs?: string;
  configs?: string;
  samples?: string;
  jobs: string;
  engine?: string;
  /** compare only (a sweep scores its trials' latest checkpoints). */
  stop?: string;
  progress: boolean;
}

/** `--engine`, shared by compare and sweep: every cell's rollouts and eval sample on it. */
export const addCellEngineOption = (cmd: Command): Command => addEngineOption(cmd, "every cell's rollouts and eval");

/** The shared flags, validated (one line, exit 2, before anything is written): what every cell shares, and the settings a folder records. */
export async function readCellFlags(o: CellCommandFlags, cmd: Command) {
  const epochs = optionalInt("--epochs", o.epochs, 1) ?? null;
  const samples = optionalInt("--samples", o.samples, 1) ?? null;
  const jobs = requiredInt("--jobs", o.jobs, 1);
  const engine = engineFlag(o.engine);
  await requireEngine(engine, `--engine ${engine}`);
  const stop = o.stop ?? "latest";
  if (!(STOP_RULES as readonly string[]).includes(stop)) throw new UserError(`--stop ${JSON.stringify(stop)}: expected ${STOP_RULES.join(" or ")}`, 2);
  const data = folderFlag("--data", o.data)!;
  const init = resolveInitCheckpoint("--init", folderFlag("--init", o.init)!).dir;
  if (!existsSync(join(init, "config.json"))) throw new UserError(`--init ${init}: not a checkpoint folder (no config.json)`, 2);
  const configs = folderFlag("--configs", o.configs);
  const clip = folderFlag("--clip-model", o.clipModel);
  const dino = folderFlag("--dino-model", o.dinoModel);
  const out = resolve(o.out);
  const judgeCfg = judgeConfigFrom(o, join(out, "judge-cache.jsonl"));
  if (judgeCfg.urls.length > 0) checkJudgeConfig(judgeCfg, true, data);
  const common: CellCommon = {
    data, init, preset: o.preset, epochs, samples,
    judgeArgs: judgeArgs(cmd),
    embedderArgs: [...(clip ? ["--clip-model", clip] : []), ...(dino ? ["--dino-model", dino] : [])],
    engine,
    stop: stop as StopRule,
    progress: o.progress,
  };
  const judge: CompareSettings["judge"] = {
    name: judgeCfg.urls.length > 0 ? "openai" : "synthetic", model: judgeCfg.model ?? null, levels: judgeCfg.levels ?? [], prompts: judgeCfg.promptDir ? resolve(judgeCfg.promptDir) : null,
  };
  // Recorded only when not the default, so a folder made before the flags existed continues unchanged.
  const optionalSettings: { engine?: ForwardEngine; stop?: StopRule } = { ...(engine === DEFAULT_FORWARD_ENGINE ? {} : { engine }), ...(stop === "latest" ? {} : { stop: stop as StopRule }) };
  return { common, out, configs, jobs, judge, embedders: { clip, dino }, optionalSettings };
}

export const sha256Text = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");
export const sha256File = (path: string): string => sha256Text(readFileSync(path));

/**
 * Run the cells (src/compare/run-cells.ts) until done or interrupted; `flush` waits for the manifest
 * writes. Interrupted: one line, exit 130, after the running cells stopped.
 */
export async function runCellsInterruptibly(
  what: string,
  cells: readonly Cell[],
  jobs: number,
  record: (c: Cell, outcome: CellOutcome) => Promise<void>,
  flush: () => Promise<void>,
): Promise<void> {
  const interrupted = await interruptible("no new cell starts; the running ones checkpoint and stop", async (stopping) => {
    try {
      await runCells(cells, jobs, cliRunner(jobs), stopping, record);
    } finally {
      await flush();
    }
    return stopping();
  });
  if (interrupted) throw new UserError(`interrupted; run the same ${what} again to continue`, 130);
}
