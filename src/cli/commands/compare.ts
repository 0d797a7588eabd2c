/**
 * `portraitrl compare --data DIR --init SFT_CKPT --out DIR [--algos sft,flow-grpo,diffusion-nft,uniworld-v2,naspo]
 *  [--seeds 3] [--first-seed 0] [--rewards ours,dual-pd,clip-i] [--preset cpu] [--epochs N] [--configs DIR] [--samples N]
 *  [--jobs 1] [--engine jax|onnx] [--stop latest|val-best] [judge flags] [--clip-model DIR --dino-model DIR] [--no-progress]`: trains every algorithm
 * (and NaSPO under every --rewards reward) from the same checkpoint under the same preset, epochs,
 * judge and data for seeds K..K+N-1 (K = --first-seed, 0 by default; a later seed alone is the same cell as
 * in a folder that trained them all), evaluates each, and writes table.md (paper Tables 1 and 3, mean ±
 * 95% CI over seeds, and the differences paired by seed against SFT and NaSPO), results.json and
 * compare.json. A row of either table may be an ablation arm, `NAME=ALGO:OVERRIDE.yaml`
 * (src/compare/arms.ts). Every train and eval is a `portraitrl` child
 * process; a cell whose eval is of its current checkpoint is skipped, a partly trained run resumes, so
 * running the same command again continues (src/compare/plan.ts has the folder layout).
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { configYaml, overlayConfig, parseArm, type Arm } from "../../compare/arms.js";
import { checkContinuation, checkResultsFile, readManifest, COMPARE_KIND, type CompareManifest, type CompareSettings } from "../../compare/manifest.js";
import { planCells, type RowPlan } from "../../compare/plan.js";
import { STOP_RULES, validationPoints } from "../../compare/stop.js";
import { collectResults } from "../../compare/results.js";
import { tableToTerminal } from "../../eval/tables.js";
import { checkpointHash, loadCheckpoint } from "../../model/index.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { readConfigFile } from "../../runtime/config-file.js";
import { UserError } from "../../runtime/errors.js";
import { removeLeftovers } from "../../runtime/run-folder-create.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { REWARD_VARIANTS } from "../../reward/index.js";
import { algorithmNames } from "../../rl/algorithms.js";
import { resolveTrainConfig, TRAIN_PRESETS, type TrainConfig } from "../../rl/trainer/index.js";
import { versions } from "../../runtime/versions.js";
import { addJudgeOptions } from "../shared-options.js";
import { addCellEngineOption, readCellFlags, runCellsInterruptibly, sha256File, sha256Text, type CellCommandFlags } from "../cell-commands.js";
import { requiredInt } from "../int-flag.js";

interface CompareCliOptions extends CellCommandFlags {
  algos: string;
  seeds: string;
  firstSeed: string;
  rewards?: string;
}

const METHODS = ["sft", ...algorithmNames()];

/** A row named in --algos or --rewards: a plain method or reward name, or an arm (src/compare/arms.ts). */
interface Entry {
  name: string;
  arm: Arm | null;
}

function entries(flag: string, text: string, valid: readonly string[], what: string): Entry[] {
  const items = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new UserError(`${flag}: empty list; valid: ${valid.join(", ")} or NAME=ALGO:OVERRIDE.yaml`, 2);
  const out = items.map((item): Entry => {
    const arm = parseArm(flag, item, algorithmNames());
    if (arm) {
      if ([...METHODS, ...REWARD_VARIANTS].includes(arm.name) || arm.name.startsWith("reward-")) {
        throw new UserError(`${flag}: arm name "${arm.name}" is taken by a method or reward; choose another`, 2);
      }
      return { name: arm.name, arm };
    }
    if (!valid.includes(item)) throw new UserError(`${flag}: unknown ${what} "${item}"; valid: ${valid.join(", ")}`, 2);
    return { name: item, arm: null };
  });
  const names = out.map((e) => e.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UserError(`${flag}: "${dup}" is listed twice`, 2);
  return out;
}

/** An arm's config file, written into its row folder when the compare starts. */
interface ArmFile {
  path: string;
  text: string;
  record: { algo: string; override: string; override_sha256: string; config_sha256: string };
}

/**
 * Validate every training config up front (the one-line errors of `train`), check --init's preset,
 * note unequal budgets; returns the rows in table order, the config hashes and the arms' files.
 */
async function checkTraining(o: CompareCliOptions, methods: Entry[], rewards: Entry[], configs: string | null, epochs: number | null, init: string, out: string) {
  const fileOf = (algo: string): string | null => {
    const file = configs === null ? null : join(configs, `${algo}.yaml`);
    return file !== null && existsSync(file) ? file : null;
  };
  const hashes: Record<string, string | null> = {};
  const armFiles: Record<string, ArmFile> = {};
  const budgets = new Map<string, number>();
  const modelPresets = new Set<string>();
  const check = (folder: string, algo: string, file: Record<string, unknown> | null, fileName: string, reward?: string) => {
    const c = resolveTrainConfig(algo, o.preset, file, fileName, { ...(epochs !== null ? { epochs } : {}), ...(reward !== undefined ? { reward } : {}) }).config;
    if (o.stop === "val-best") checkValBestStop(folder, c);
    budgets.set(folder, c.epochs * c.groupsPerEpoch * c.groupSize);
    modelPresets.add(c.modelPreset);
    return c;
  };
  /** A plain algorithm's row: CONFIGS/<algo>.yaml as it is. */
  const plain = (folder: string, label: string, algo: string, reward: string | null): RowPlan => {
    const file = fileOf(algo);
    hashes[algo] = file ? sha256File(file) : null;
    check(folder, algo, file ? readConfigFile(file) : null, file ?? "", reward ?? undefined);
    return { folder, label, algo, reward, config: file };
  };
  /** An arm's row: CONFIGS/<algo>.yaml with the override on top, written to OUT/<folder>/config.yaml. */
  const armRow = (folder: string, label: string, arm: Arm): RowPlan => {
    const base = fileOf(arm.algo);
    const merged = overlayConfig(base ? readConfigFile(base) : null, readConfigFile(arm.override));
    check(folder, arm.algo, merged, arm.override);
    const text = configYaml(merged, [`arm ${arm.name} of portraitrl compare: ${base ?? `the ${o.preset} preset`} with ${arm.override} on top`]);
    const path = join(out, folder, "config.yaml");
    hashes[folder] = sha256Text(text);
    armFiles[folder] = { path, text, record: { algo: arm.algo, override: arm.override, override_sha256: sha256File(arm.override), config_sha256: hashes[folder]! } };
    return { folder, label, algo: arm.algo, reward: null, config: path };
  };
  const rows: RowPlan[] = methods.map((m) =>
    m.arm ? armRow(m.name, m.name, m.arm) : m.name === "sft" ? { folder: "sft", label: "sft", algo: null, reward: null, config: null } : plain(m.name, m.name, m.name, null),
  );
  const naspoFile = fileOf("naspo");
  const oursIsNaspo = methods.some((m) => m.name === "naspo" && !m.arm) && check("naspo", "naspo", naspoFile ? readConfigFile(naspoFile) : null, naspoFile ?? "").reward.variant === "ours";
  for (const r of rewards) {
    if (r.arm) rows.push(armRow(`reward-${r.name}`, `${r.arm.algo}-reward-${r.name}`, r.arm));
    else if (!(r.name === "ours" && oursIsNaspo)) rows.push(plain(`reward-${r.name}`, `naspo-reward-${r.name}`, "naspo", r.name));
  }
  for (const p of modelPresets) await loadCheckpoint(init, { expectPreset: p });
  if (new Set(budgets.values()).size > 1) {
    process.stderr.write(`compare: note: the training budgets differ (rollout images: ${[...budgets].map(([k, v]) => `${k} ${v}`).join(", ")}); set by --configs\n`);
  }
  return { rows, hashes, oursIsNaspo, armFiles };
}

/** `--stop val-best` needs a validation curve in every trained row, with a checkpoint kept at each point. */
function checkValBestStop(folder: string, c: TrainConfig): void {
  if (!c.validation) throw new UserError(`--stop val-best: ${folder} trains without a validation curve; set validation: {every: N, samples: K} in its config`, 2);
  const points = validationPoints(c.epochs, c.validation.every);
  if (c.keepCheckpoints < points) throw new UserError(`--stop val-best: ${folder} makes ${points} validation points but keeps ${c.keepCheckpoints} checkpoints; set keepCheckpoints: ${points} or more`, 2);
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command("compare")
    .description("train and evaluate several methods (and NaSPO under several rewards) over seeds under one budget and judge; writes table.md (paper Tables 1 and 3), results.json, compare.json; resumable")
    .requiredOption("--data <dir>", "dataset folder (train split for training, test split for eval)")
    .requiredOption("--init <ckpt>", "SFT checkpoint (or SFT run folder: its latest checkpoint) every method starts from (the sft row evaluates it as is)")
    .requiredOption("--out <dir>", "compare folder: <method>/seed<k>/{run,eval}, reward-<name>/seed<k>/{run,eval}")
    .option("--algos <list>", `methods (Table 1), comma-separated: ${METHODS.join(", ")}, or an arm NAME=ALGO:OVERRIDE.yaml (ALGO under CONFIGS/ALGO.yaml with the override on top)`, "sft,flow-grpo,diffusion-nft,uniworld-v2,naspo")
    .option("--seeds <n>", "training and eval seeds K..K+N-1 (K: --first-seed)", "3")
    .option("--first-seed <k>", "the first of the seeds", "0")
    .option("--rewards <list>", `reward ablation (Table 3): NaSPO with each reward: ${REWARD_VARIANTS.join(", ")} (ours reuses the naspo method's cells), or an arm NAME=ALGO:OVERRIDE.yaml`)
    .option("--preset <name>", `training preset for every method: ${TRAIN_PRESETS.join(", ")}`, "cpu")
    .option("--epochs <n>", "epochs for every method (default: the preset's)")
    .option("--configs <dir>", "folder of per-algorithm overrides: <algo>.yaml is passed to `train --config` when it exists")
    .option("--samples <n>", "evaluate the first N test records (default: all)")
    .option("--stop <rule>", `which checkpoint of a trained cell is evaluated on test: ${STOP_RULES.join(" or ")} (val-best: the best ½·(DP + PF) of its validation curve; every config needs validation: {every, samples})`, "latest")
    .option("--jobs <n>", "cells run at once (each child process uses up to two threads)", "1")
    .option("--no-progress", "no progress bars in the training runs");
  addJudgeOptions(addCellEngineOption(cmd)).action(async (o: CompareCliOptions, self: Command) => {
    // ---- validate everything before writing anything
    const methodEntries = entries("--algos", o.algos, METHODS, "algorithm");
    const rewardEntries = o.rewards === undefined ? [] : entries("--rewards", o.rewards, REWARD_VARIANTS, "reward");
    const methods = methodEntries.map((e) => e.name);
    const rewards = rewardEntries.map((e) => e.name);
    const nSeeds = requiredInt("--seeds", o.seeds, 1);
    const firstSeed = requiredInt("--first-seed", o.firstSeed, 0);
    const seeds = Array.from({ length: nSeeds }, (_, k) => firstSeed + k);
    const { common, out, configs, jobs, judge, embedders, optionalSettings } = await readCellFlags(o, self);
    const { data, init, epochs, samples } = common;
    const training = await checkTraining(o, methodEntries, rewardEntries, configs, epochs, init, out);

    await holdRunLock(out, "--out");
    const manifestPath = join(out, "compare.json");
    const resultsPath = join(out, "results.json");
    const old = await readManifest(manifestPath);
    await checkResultsFile(resultsPath);
    if (!old && existsSync(out) && (await readdir(out)).length > 0) throw new UserError(`--out ${out}: exists, is not empty and has no compare.json (not a compare folder)`, 2);
    const settings: CompareSettings = {
      data, init, init_sha256: checkpointHash(init), preset: o.preset, epochs, samples, judge, embedders, ...optionalSettings,
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
      arms: { ...(old?.arms ?? {}), ...Object.fromEntries(Object.entries(training.armFiles).map(([folder, f]) => [folder, f.record])) },
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
    const cells = planCells({ ...common, out, rows: training.rows, seeds });
    for (const path of [manifestPath, resultsPath, join(out, "table.md"), ...cells.map((c) => c.evalDir)]) await removeLeftovers(path);
    for (const f of Object.values(training.armFiles)) await writeFileAtomic(f.path, f.text);
    await runCellsInterruptibly("compare", cells, jobs, async (c, outcome) => {
      manifest.cells[c.name] = { ...outcome, seconds_total: (old?.cells[c.name]?.seconds_total ?? 0) + outcome.seconds };
      await save();
    }, () => writing);

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
