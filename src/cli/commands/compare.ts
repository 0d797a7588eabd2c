/**
 * `portraitrl compare --data DIR --init SFT_CKPT --out DIR [--algos sft,flow-grpo,diffusion-nft,uniworld-v2,naspo]
 *  [--seeds 3] [--rewards ours,dual-pd,clip-i] [--preset cpu] [--epochs N] [--configs DIR] [--samples N]
 *  [--jobs 1] [judge flags] [--clip-model DIR --dino-model DIR] [--no-progress]`: trains every algorithm
 * (and NaSPO under every --rewards reward) from the same checkpoint under the same preset, epochs,
 * judge and data for seeds 0..N-1, evaluates each, and writes table.md (paper Tables 1 and 3, mean ±
 * 95% CI over seeds), results.json and compare.json. Every train and eval is a `portraitrl` child
 * process; a cell whose eval is of its current checkpoint is skipped, a partly trained run resumes, so
 * running the same command again continues (src/compare/plan.ts has the folder layout).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { runCliAsync, runPool, type CliRunner } from "../../compare/child.js";
import { checkContinuation, checkResultsFile, readManifest, COMPARE_KIND, type CompareManifest, type CompareSettings } from "../../compare/manifest.js";
import { planCells, type Cell } from "../../compare/plan.js";
import { collectResults } from "../../compare/results.js";
import { checkpointHash, evalIsCurrent, skipped, type StepLog } from "../../demo/steps.js";
import { tableToTerminal } from "../../eval/tables.js";
import { loadCheckpoint } from "../../model/index.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { UserError } from "../../runtime/errors.js";
import { removeLeftovers } from "../../runtime/run-folder-create.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { checkJudgeConfig, REWARD_VARIANTS } from "../../reward/index.js";
import { algorithmNames } from "../../rl/algorithms.js";
import { readConfigFile, resolveTrainConfig, TRAIN_PRESETS } from "../../rl/trainer/index.js";
import { versions } from "../../runtime/run-folder.js";
import { addJudgeOptions, judgeConfigFrom, type JudgeFlags } from "./judge.js";
import { optionalInt, requiredInt } from "../int-flag.js";
import { resolveInitCheckpoint } from "../init-checkpoint.js";
import { interruptible } from "../interrupt.js";

interface CompareCliOptions extends JudgeFlags {
  data: string;
  init: string;
  out: string;
  algos: string;
  seeds: string;
  rewards?: string;
  preset: string;
  epochs?: string;
  configs?: string;
  samples?: string;
  jobs: string;
  progress: boolean;
}

const SELF = fileURLToPath(import.meta.url);
/** The CLI entry beside this file (main.js when built, main.ts under tsx), run with this process's loader flags. */
const RUNNER_ARGS = [...process.execArgv.filter((a) => !a.startsWith("--inspect")), join(dirname(SELF), "..", `main${extname(SELF)}`)];
const METHODS = ["sft", ...algorithmNames()];


function list(flag: string, text: string, valid: readonly string[], what: string): string[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new UserError(`${flag}: empty list; valid: ${valid.join(", ")}`, 2);
  for (const n of names) if (!valid.includes(n)) throw new UserError(`${flag}: unknown ${what} "${n}"; valid: ${valid.join(", ")}`, 2);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`${flag}: "${dup}" is listed twice`, 2);
  return names;
}

function folder(flag: string, path: string | undefined): string | null {
  if (path === undefined) return null;
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UserError(`${flag} ${path}: no such folder`, 2);
  return resolve(path);
}

/** The judge flags given on the command line, to forward to every train and eval unchanged (the embedder folders go to eval only, resolved). */
function judgeArgs(cmd: Command): string[] {
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

const sha256File = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Validate every training config up front (the one-line errors of `train`), check --init's preset, note unequal budgets. */
async function checkTraining(o: CompareCliOptions, methods: string[], rewards: string[], configs: string | null, epochs: number | null, init: string) {
  const trained = [...new Set([...methods.filter((m) => m !== "sft"), ...(rewards.length > 0 ? ["naspo"] : [])])];
  const configFiles: Record<string, string> = {};
  const hashes: Record<string, string | null> = {};
  for (const algo of trained) {
    const file = configs === null ? null : join(configs, `${algo}.yaml`);
    if (file !== null && existsSync(file)) configFiles[algo] = file;
    hashes[algo] = configFiles[algo] ? sha256File(configFiles[algo]) : null;
  }
  const resolveFor = (algo: string, reward?: string) => {
    const file = configFiles[algo];
    return resolveTrainConfig(algo, o.preset, file ? readConfigFile(file) : null, file ?? "", {
      ...(epochs !== null ? { epochs } : {}),
      ...(reward !== undefined ? { reward } : {}),
    }).config;
  };
  const budgets = new Map<string, number>();
  const modelPresets = new Set<string>();
  let oursIsNaspo = false;
  for (const algo of methods.filter((m) => m !== "sft")) {
    const c = resolveFor(algo);
    if (algo === "naspo") oursIsNaspo = c.reward.variant === "ours";
    budgets.set(algo, c.epochs * c.groupsPerEpoch * c.groupSize);
    modelPresets.add(c.modelPreset);
  }
  for (const r of rewards) {
    const c = resolveFor("naspo", r);
    budgets.set(`reward-${r}`, c.epochs * c.groupsPerEpoch * c.groupSize);
    modelPresets.add(c.modelPreset);
  }
  for (const p of modelPresets) await loadCheckpoint(init, { expectPreset: p });
  if (new Set(budgets.values()).size > 1) {
    process.stderr.write(`compare: note: the training budgets differ (rollout images: ${[...budgets].map(([k, v]) => `${k} ${v}`).join(", ")}); set by --configs\n`);
  }
  return { configFiles, hashes, oursIsNaspo };
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command("compare")
    .description("train and evaluate several methods (and NaSPO under several rewards) over seeds under one budget and judge; writes table.md (paper Tables 1 and 3), results.json, compare.json; resumable")
    .requiredOption("--data <dir>", "dataset folder (train split for training, test split for eval)")
    .requiredOption("--init <ckpt>", "SFT checkpoint (or SFT run folder: its latest checkpoint) every method starts from (the sft row evaluates it as is)")
    .requiredOption("--out <dir>", "compare folder: <method>/seed<k>/{run,eval}, reward-<name>/seed<k>/{run,eval}")
    .option("--algos <list>", `methods, comma-separated: ${METHODS.join(", ")}`, "sft,flow-grpo,diffusion-nft,uniworld-v2,naspo")
    .option("--seeds <n>", "training and eval seeds 0..N-1", "3")
    .option("--rewards <list>", `reward ablation (Table 3): NaSPO with each reward: ${REWARD_VARIANTS.join(", ")} (ours reuses the naspo method's cells)`)
    .option("--preset <name>", `training preset for every method: ${TRAIN_PRESETS.join(", ")}`, "cpu")
    .option("--epochs <n>", "epochs for every method (default: the preset's)")
    .option("--configs <dir>", "folder of per-algorithm overrides: <algo>.yaml is passed to `train --config` when it exists")
    .option("--samples <n>", "evaluate the first N test records (default: all)")
    .option("--jobs <n>", "cells run at once (each child process uses up to two threads)", "1")
    .option("--no-progress", "no progress bars in the training runs");
  addJudgeOptions(cmd).action(async (o: CompareCliOptions, self: Command) => {
    // ---- validate everything before writing anything
    const methods = list("--algos", o.algos, METHODS, "algorithm");
    const rewards = o.rewards === undefined ? [] : list("--rewards", o.rewards, REWARD_VARIANTS, "reward");
    const nSeeds = requiredInt("--seeds", o.seeds, 1);
    const seeds = Array.from({ length: nSeeds }, (_, k) => k);
    const epochs = optionalInt("--epochs", o.epochs, 1) ?? null;
    const samples = optionalInt("--samples", o.samples, 1) ?? null;
    const jobs = requiredInt("--jobs", o.jobs, 1);
    const data = folder("--data", o.data)!;
    const init = resolveInitCheckpoint("--init", folder("--init", o.init)!).dir;
    if (!existsSync(join(init, "config.json"))) throw new UserError(`--init ${init}: not a checkpoint folder (no config.json)`, 2);
    const configs = folder("--configs", o.configs);
    const clip = folder("--clip-model", o.clipModel);
    const dino = folder("--dino-model", o.dinoModel);
    const out = resolve(o.out);
    const judgeCfg = judgeConfigFrom(o, join(out, "judge-cache.jsonl"));
    if (judgeCfg.urls.length > 0) checkJudgeConfig(judgeCfg, true, data);
    const training = await checkTraining(o, methods, rewards, configs, epochs, init);

    await holdRunLock(out, "--out");
    const manifestPath = join(out, "compare.json");
    const resultsPath = join(out, "results.json");
    const old = await readManifest(manifestPath);
    await checkResultsFile(resultsPath);
    if (!old && existsSync(out) && (await readdir(out)).length > 0) throw new UserError(`--out ${out}: exists, is not empty and has no compare.json (not a compare folder)`, 2);
    const settings: CompareSettings = {
      data,
      init,
      init_sha256: checkpointHash(init),
      preset: o.preset,
      epochs,
      samples,
      judge: { name: judgeCfg.urls.length > 0 ? "openai" : "synthetic", model: judgeCfg.model ?? null, levels: judgeCfg.levels ?? [], prompts: judgeCfg.promptDir ? resolve(judgeCfg.promptDir) : null },
      embedders: { clip, dino },
      configs: { ...(old?.configs ?? {}), ...training.hashes },
    };
    if (old) checkContinuation(manifestPath, old, { ...settings, methods, seeds, rewards });
    const now = new Date().toISOString();
    const manifest: CompareManifest = {
      kind: COMPARE_KIND,
      version: 1,
      methods,
      seeds,
      rewards,
      ours_is_naspo: training.oursIsNaspo,
      ...settings,
      command: ["portraitrl", ...process.argv.slice(2)],
      versions: versions(),
      created_at: old?.created_at ?? now,
      updated_at: now,
      cells: {},
      table: {},
    };
    let writing = Promise.resolve();
    const save = (): Promise<void> =>
      (writing = writing.then(() => {
        manifest.updated_at = new Date().toISOString();
        return writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      }));
    await save();

    // ---- run the cells
    const cells = planCells({
      data, init, out, methods, rewards, seeds, preset: o.preset, epochs, samples,
      configFiles: training.configFiles,
      oursIsNaspo: training.oursIsNaspo,
      judgeArgs: judgeArgs(self),
      embedderArgs: [...(clip ? ["--clip-model", clip] : []), ...(dino ? ["--dino-model", dino] : [])],
      progress: o.progress,
    });
    for (const path of [manifestPath, resultsPath, join(out, "table.md"), ...cells.map((c) => c.evalDir)]) await removeLeftovers(path);
    const runner: CliRunner = { nodeArgs: RUNNER_ARGS, prefix: jobs > 1 };
    const isDone = (c: Cell): boolean => {
      try {
        return existsSync(c.ckpt) && evalIsCurrent(c.evalDir, c.ckpt);
      } catch {
        return false; // an unreadable eval.json: evaluate again (eval --overwrite replaces it)
      }
    };
    const runCell = async (c: Cell): Promise<void> => {
      const t0 = performance.now();
      const steps: StepLog[] = [];
      const done = isDone(c);
      if (done) steps.push(skipped(`[${c.name}] portraitrl ${c.eval.join(" ")}`));
      else {
        if (c.train) steps.push(await runCliAsync(runner, c.name, c.train));
        steps.push(await runCliAsync(runner, c.name, c.eval));
      }
      const seconds = done ? 0 : (performance.now() - t0) / 1000;
      manifest.cells[c.name] = { seconds, skipped: done, seconds_total: (old?.cells[c.name]?.seconds_total ?? 0) + seconds, steps };
      await save();
    };
    const interrupted = await interruptible("no new cell starts; the running ones checkpoint and stop", async (stopping) => {
      try {
        await runPool(cells, jobs, runCell, stopping);
      } finally {
        await writing;
      }
      return stopping();
    });
    if (interrupted) throw new UserError("interrupted; run the same compare again to continue", 130);

    // ---- tables
    const results = await collectResults(out);
    manifest.table = { table1: results.table1, ...(results.table3 ? { table3: results.table3 } : {}) };
    await writeFileAtomic(resultsPath, `${JSON.stringify(results.json, null, 2)}\n`);
    await writeFileAtomic(join(out, "table.md"), results.markdown);
    await save();
    const color = process.stdout.isTTY;
    process.stdout.write(`\n${tableToTerminal(results.table1, { color })}`);
    if (results.table3) process.stdout.write(`\n${tableToTerminal(results.table3, { color })}`);
    if (results.pairedMarkdown !== "") process.stdout.write(`\n${results.pairedMarkdown}`);
    const ran = Object.values(manifest.cells).filter((c) => !c.skipped).length;
    process.stdout.write(`\n${cells.length} cells (${ran} run, ${cells.length - ran} already done); tables: ${join(out, "table.md")}\n`);
  });
}
