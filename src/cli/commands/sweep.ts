/**
 * `portraitrl sweep --data DIR --init SFT_CKPT --grid GRID.yaml --out DIR [--trials T] [--grid-seed 0]
 *  [--seed 0] [--preset cpu] [--epochs N] [--configs DIR] [--samples N] [--criterion judge-mean]
 *  [--jobs 1] [judge flags] [--clip-model DIR --dino-model DIR] [--no-progress]`: the equal tuning
 * budget of issue 18. Every algorithm of the grid (src/compare/sweep-grid.ts) gets the same T trials,
 * each trained from the same checkpoint with the same preset, epochs, groups and seed (its config:
 * CONFIGS/<algo>.yaml with the trial's knobs on top) and evaluated on the validation split; the best
 * trial by the criterion is written as OUT/<algo>.yaml, beside OUT/sweep.json that records every trial,
 * so that `compare --configs OUT` trains the chosen configs. Folders:
 *   OUT/sweep.json  OUT/<algo>.yaml  OUT/trials/<algo>/trial<k>/{config.yaml,run,eval}
 * Resumable like compare (finished trials are skipped, a partly trained one resumes); run the same
 * command with another --criterion to choose again without training.
 */
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { Command } from "commander";
import { configYaml, overlayConfig } from "../../compare/arms.js";
import { trainEvalCell, type Cell } from "../../compare/plan.js";
import { gridPoints, knobsToConfig, readGrid, selectTrials, trialCount, type Knobs } from "../../compare/sweep-grid.js";
import {
  bestTrial, checkSweepContinuation, criterionOf, readSweepRecord, valMeans, CRITERIA, SWEEP_KIND,
  type SweepRecord, type SweepSettings, type TrialRecord,
} from "../../compare/sweep-record.js";
import { splitFile } from "../../data/index.js";
import { readEvalFolder } from "../../eval/folder.js";
import { checkpointHash, loadCheckpoint } from "../../model/index.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { readConfigFile } from "../../runtime/config-file.js";
import { UserError } from "../../runtime/errors.js";
import { removeLeftovers } from "../../runtime/run-folder-create.js";
import { holdRunLock } from "../../runtime/run-lock.js";
import { versions } from "../../runtime/versions.js";
import { algorithmNames } from "../../rl/algorithms.js";
import { resolveTrainConfig, TRAIN_PRESETS } from "../../rl/trainer/index.js";
import { addCellEngineOption, readCellFlags, runCellsInterruptibly, sha256File, sha256Text, type CellCommandFlags } from "../cell-commands.js";
import { optionalInt, requiredInt } from "../int-flag.js";
import { addJudgeOptions } from "../shared-options.js";

interface SweepCliOptions extends CellCommandFlags {
  grid: string;
  trials?: string;
  gridSeed: string;
  seed: string;
  criterion: string;
}

/** One trial before it runs: its cell and the config file it trains with. */
interface PlannedTrial {
  algo: string;
  trial: number;
  knobs: Knobs;
  config: Record<string, unknown>;
  configPath: string;
  configText: string;
  cell: Cell;
}

const knobText = (k: Knobs): string => Object.entries(k).map(([p, v]) => `${p}=${String(v)}`).join(", ");

export function registerSweep(program: Command): void {
  const cmd = program
    .command("sweep")
    .description("equal tuning budget: every algorithm of a grid gets the same number of trials, each trained from the same checkpoint under the same budget and evaluated on the validation split; writes <algo>.yaml (the best trial, for compare --configs) and sweep.json (every trial); resumable")
    .requiredOption("--data <dir>", "dataset folder (train split for training, val split for choosing)")
    .requiredOption("--init <ckpt>", "SFT checkpoint (or SFT run folder) every trial starts from")
    .requiredOption("--grid <file>", "YAML: per algorithm, config field path → list of values (e.g. naspo: {optimizer.lr: [3e-4, 1e-3], algo.beta: [10, 100]})")
    .requiredOption("--out <dir>", "sweep folder: sweep.json, <algo>.yaml, trials/<algo>/trial<k>/{config.yaml,run,eval}")
    .option("--trials <n>", "trials per algorithm (default: the grid size, which must then be the same for every algorithm)")
    .option("--grid-seed <n>", "seed of the subset of a grid larger than --trials", "0")
    .option("--seed <n>", "training and eval seed of every trial", "0")
    .option("--preset <name>", `training preset: ${TRAIN_PRESETS.join(", ")}`, "cpu")
    .option("--epochs <n>", "epochs of every trial (default: the preset's)")
    .option("--configs <dir>", "folder of per-algorithm base configs: the trial's knobs go on top of <algo>.yaml when it exists")
    .option("--samples <n>", "evaluate the first N validation records (default: all)")
    .option("--criterion <name>", `how a trial is chosen, on the validation split: ${CRITERIA.join(", ")}`, "judge-mean")
    .option("--jobs <n>", "trials run at once (each child process uses up to two threads)", "1")
    .option("--no-progress", "no progress bars in the training runs");
  addJudgeOptions(addCellEngineOption(cmd)).action(async (o: SweepCliOptions, self: Command) => {
    const t0 = performance.now();
    // ---- validate everything before writing anything
    const criterion = criterionOf(o.criterion);
    const trialsFlag = optionalInt("--trials", o.trials, 1);
    const gridSeed = requiredInt("--grid-seed", o.gridSeed, 0);
    const seed = requiredInt("--seed", o.seed, 0);
    const { common, out, configs, jobs, judge, embedders, optionalSettings } = await readCellFlags(o, self);
    const { data, init, epochs, samples } = common;
    if ((await splitFile(data, "val")) === null) throw new UserError(`--data ${data}: no val.jsonl (the sweep chooses on the validation split; \`data synth\` writes one)`, 2);
    const gridFile = resolve(o.grid);
    const grid = readGrid(gridFile, algorithmNames());
    const nTrials = trialCount(gridFile, grid, trialsFlag);

    const baseHashes: Record<string, string | null> = {};
    const budgets = new Map<string, number>();
    const modelPresets = new Set<string>();
    const planned: PlannedTrial[] = [];
    for (const [algo, knobs] of Object.entries(grid)) {
      const baseFile = configs !== null && existsSync(join(configs, `${algo}.yaml`)) ? join(configs, `${algo}.yaml`) : null;
      const base = baseFile ? readConfigFile(baseFile) : null;
      baseHashes[algo] = baseFile ? sha256File(baseFile) : null;
      selectTrials(gridPoints(knobs), nTrials, gridSeed).forEach((k, trial) => {
        const config = overlayConfig(base, knobsToConfig(k));
        const c = resolveTrainConfig(algo, o.preset, config, `${gridFile} (${algo} trial ${trial}: ${knobText(k)})`, epochs !== null ? { epochs } : {}).config;
        budgets.set(`${algo} trial ${trial}`, c.epochs * c.groupsPerEpoch * c.groupSize);
        modelPresets.add(c.modelPreset);
        const name = `trials/${algo}/trial${trial}`;
        const dir = join(out, name);
        const configPath = join(dir, "config.yaml");
        const configText = configYaml(config, [`${algo} trial ${trial} of portraitrl sweep (${knobText(k)}) on ${baseFile ?? `the ${o.preset} preset`}`]);
        const cell = trainEvalCell(common, name, dir, seed, { label: `${algo}-trial${trial}`, algo, reward: null, config: configPath }, "val");
        planned.push({ algo, trial, knobs: k, config, configPath, configText, cell });
      });
    }
    if (new Set(budgets.values()).size > 1) {
      throw new UserError(`${gridFile}: the training budgets differ (rollout images: ${[...budgets].map(([k, v]) => `${k} ${v}`).join(", ")}); every trial gets the same budget (--configs sets epochs and groups)`, 2);
    }
    for (const p of modelPresets) await loadCheckpoint(init, { expectPreset: p });

    await holdRunLock(out, "--out");
    const recordPath = join(out, "sweep.json");
    const old = await readSweepRecord(recordPath);
    if (!old && existsSync(out) && (await readdir(out)).length > 0) throw new UserError(`--out ${out}: exists, is not empty and has no sweep.json (not a sweep folder)`, 2);
    const settings: SweepSettings = {
      data, init, init_sha256: checkpointHash(init), preset: o.preset, epochs, samples, seed, trials: nTrials, grid_seed: gridSeed, grid,
      judge, embedders, ...optionalSettings,
      configs: baseHashes,
    };
    if (old) checkSweepContinuation(recordPath, old.settings, JSON.parse(JSON.stringify(settings)) as SweepSettings);
    const now = new Date().toISOString();
    const rel = (p: string) => relative(out, p);
    const previous = new Map((old?.trials ?? []).map((t) => [`${t.algo}/${t.trial}`, t.seconds_total]));
    const trials: TrialRecord[] = planned.map((p) => ({
      algo: p.algo, trial: p.trial, knobs: p.knobs, config: rel(p.configPath), config_sha256: sha256Text(p.configText),
      run: rel(join(out, p.cell.name, "run")), eval: rel(p.cell.evalDir),
      seconds: 0, seconds_total: previous.get(`${p.algo}/${p.trial}`) ?? 0, skipped: false, val: null, criterion: null,
    }));
    const record: SweepRecord = {
      kind: SWEEP_KIND, version: 1, settings, grid_file: gridFile,
      criterion: { name: criterion.name, higher_is_better: criterion.higher_is_better, description: criterion.description },
      command: ["portraitrl", ...process.argv.slice(2)], versions: versions(),
      created_at: old?.created_at ?? now, updated_at: now, wall_seconds: 0, trial_seconds_total: 0, trials, chosen: {}, unchosen: [],
    };
    let writing = Promise.resolve();
    const save = (): Promise<void> =>
      (writing = writing.then(() => {
        record.updated_at = new Date().toISOString();
        record.trial_seconds_total = record.trials.reduce((a, t) => a + t.seconds_total, 0);
        return writeFileAtomic(recordPath, `${JSON.stringify(record, null, 2)}\n`);
      }));
    await save();

    // ---- run the trials, trial-major (trial 0 of every algorithm first)
    const order = [...planned].sort((a, b) => a.trial - b.trial);
    for (const p of order) {
      await removeLeftovers(p.cell.evalDir);
      await writeFileAtomic(p.configPath, p.configText);
    }
    await runCellsInterruptibly("sweep", order.map((p) => p.cell), jobs, async (c, outcome) => {
      const t = trials[planned.findIndex((p) => p.cell === c)]!;
      Object.assign(t, { seconds: outcome.seconds, skipped: outcome.skipped, seconds_total: t.seconds_total + outcome.seconds });
      await save();
    }, () => writing);

    // ---- choose on validation
    for (const [i, p] of planned.entries()) {
      const metrics = (await readEvalFolder(p.cell.evalDir)).eval.metrics;
      trials[i]!.val = valMeans(metrics);
      trials[i]!.criterion = criterion.value(metrics);
    }
    for (const algo of Object.keys(grid)) {
      const mine = planned.filter((p) => p.algo === algo);
      const best = bestTrial(mine.map((p) => trials[planned.indexOf(p)]!.criterion), criterion.higher_is_better);
      const file = join(out, `${algo}.yaml`);
      if (best === null) {
        record.unchosen.push(algo);
        await rm(file, { force: true });
        continue;
      }
      const p = mine[best]!;
      const value = trials[planned.indexOf(p)]!.criterion!;
      const text = configYaml(p.config, [
        `${algo}: chosen by portraitrl sweep (sweep.json beside this file): trial ${p.trial} of ${nTrials} (${knobText(p.knobs)}),`,
        `${criterion.name} = ${value.toFixed(4)} on the validation split, training seed ${seed}`,
      ]);
      await writeFileAtomic(file, text);
      record.chosen[algo] = { trial: p.trial, knobs: p.knobs, criterion: value, file: `${algo}.yaml`, file_sha256: sha256Text(text) };
    }
    record.wall_seconds = (performance.now() - t0) / 1000;
    await save();

    const lines = planned.map((p, i) => {
      const t = trials[i]!;
      const chosen = record.chosen[p.algo]?.trial === p.trial ? "  ← chosen" : "";
      return `${p.algo} trial ${p.trial}  ${knobText(p.knobs)}  ${criterion.name} ${t.criterion === null ? "—" : t.criterion.toFixed(4)}${chosen}`;
    });
    process.stdout.write(`\n${lines.join("\n")}\n\n${planned.length} trials (${trials.filter((t) => !t.skipped).length} run); chosen configs: ${Object.values(record.chosen).map((c) => join(out, c.file)).join(", ") || "none"}\n`);
    if (record.unchosen.length > 0) throw new UserError(`sweep: no trial of ${record.unchosen.join(", ")} has a value of ${criterion.name} on the validation split; no config written for it`, 1);
  });
}
