/**
 * `npm run compare:paper-budget [-- --seeds 3] [--first-seed K] [--rows R1,R2|none] [--budget FILE.yaml --out DIR --results DIR]`: the RL methods at the paper's budget on the demo regime
 * (issue 24), resumable, every step a `portraitrl` child process:
 *   1. the demo benchmark, unless already there;
 *   2. per RL method, the config the sweep chose (results/compare-demo-regime/chosen-<algo>.yaml) with the
 *      paper's budget laid on top (configs/budgets/paper.yaml: 48 groups × G 8 per epoch, 60 epochs, a
 *      validation point every 5 epochs on 100 val records, a checkpoint kept at each);
 *   3. `portraitrl compare --stop val-best`: SFT, Flow-GRPO, DiffusionNFT, NaSPO and NaSPO with σ(Δ) at work
 *      (configs/arms/sigma-batch-z.yaml), SEEDS training seeds; each trained cell's test eval reads the
 *      checkpoint of its validation curve's best ½·(DP + PF), so test is read once per cell;
 *   4. SFT continued for the wall time of the longest RL arm (the mean over its seeds of the seconds its
 *      epochs spent rolling out, judging and updating; validation is not counted for anyone): the steps are
 *      that time over the seconds per step of a 20-step calibration run, sized once when every RL cell is
 *      first there and then kept in paper-budget.json for every seed; a seed's run waits for its seed's RL
 *      cells; a checkpoint every twelfth of the steps, each scored on the same 100 val records, the best
 *      ½·(DP + PF) evaluated on test;
 *   5. the records in results/compare-paper-budget/: table.md (means over seeds and the differences paired
 *      by seed against SFT and against NaSPO), the validation curves as PNG against epochs and against
 *      training seconds, the grid reference | target | each method evaluated in runs/ (test, the first seed
 *      trained, 16 records, 5×; grid-test-seedK.ROWS.png while some rows are missing),
 *      compare.json and results.json, each finished cell's eval.json and metrics.jsonl (SFT continued: its
 *      val-curve.json), and paper-budget.json (commands, seconds of every step, the SFT-continued sizing,
 *      the seconds of all steps of the comparison); and DIR/all-seeds, every finished cell of every compare
 *      folder (and SFT continued) linked into one compare folder, for `portraitrl report DIR/all-seeds`.
 * Run it again after an interrupt and it continues. A later session without runs/ keeps the cells already in
 * results/compare-paper-budget/ (their eval.json and metrics.jsonl; the grid shows only cells evaluated in
 * runs/), `--rows naspo-batch-z,flow-grpo` trains those RL rows besides the ones the compare folder already has (default:
 * all of them; `none`: no compare, only SFT continued), and `--first-seed K` only seeds K..SEEDS-1 (the earlier seeds are read
 * from results/), so a comparison too long for one session is finished row by row and seed by seed
 * (refused, in one line, when the kept records were trained from another base than the shipped one). Two
 * invocations may run at once under different `--out` folders: each adds its own steps to the kept
 * paper-budget.json, and the one that finishes last writes the tables of both. `--budget`,
 * `--out` and `--results` (defaults: configs/budgets/paper.yaml, runs/compare-paper-budget,
 * results/compare-paper-budget) let a smaller budget try the whole pipeline first. `--records-only` runs
 * nothing but the SFT validation point and writes the records of the cells finished so far (a partial
 * comparison: table.md says which cells it holds).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { configYaml, overlayConfig } from "../src/compare/arms.js";
import { benchmarkIsThere } from "../src/demo/steps.js";
import { evalJsonSchema, metricOf, type EvalJson } from "../src/eval/format.js";
import { formatPairedCell, pairedSeedTable, PAIRED_METRICS } from "../src/eval/paired-seeds.js";
import { checkpointHash, fastestEngine } from "../src/model/index.js";
import { curveChart, writeChartPng, type CurvePoint } from "../src/report/chart.js";
import { rlMetricsLineSchema } from "../src/report/run-folder.js";
import { VALIDATION_CURVES, validationPoints, type CurveRun } from "../src/report/sections/curves.js";
import { checkpointSteps, runPaths } from "../src/runtime/run-folder.js";
import { DEMO_BENCHMARK, DEMO_RL, PACKAGE_ROOT, SHIPPED_SFT_DIR, sftDefectsFlag } from "../src/demo/settings.js";
import { writeMergedCompareView } from "./merged-compare-view.js";
import { gridFileName, rowsToTrain } from "./paper-budget-rows.js";
import { portraitrl as runStep, type RanStep } from "./portraitrl-child.js";

const flag = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? "") : def;
};
const SEEDS = Number(flag("seeds", "3"));
const FIRST_SEED = Number(flag("first-seed", "0"));
const ALL_RL_ROWS = ["naspo", "diffusion-nft", "flow-grpo", "naspo-batch-z"];
const rowsFlag = flag("rows", ALL_RL_ROWS.join(","));
const ROWS_ASKED = rowsFlag === "none" ? "none" : rowsFlag.split(",");
const unknownRow = (ROWS_ASKED === "none" ? [] : ROWS_ASKED).find((r) => !ALL_RL_ROWS.includes(r));
if (unknownRow !== undefined) {
  process.stderr.write(`compare:paper-budget: --rows ${unknownRow}: expected some of ${ALL_RL_ROWS.join(", ")}, or none\n`);
  process.exit(2);
}
const RECORDS_ONLY = process.argv.includes("--records-only");
if (!Number.isInteger(SEEDS) || SEEDS < 1) {
  process.stderr.write(`compare:paper-budget: --seeds ${flag("seeds", "")}: expected an integer >= 1\n`);
  process.exit(2);
}
if (!Number.isInteger(FIRST_SEED) || FIRST_SEED < 0 || FIRST_SEED >= SEEDS) {
  process.stderr.write(`compare:paper-budget: --first-seed ${flag("first-seed", "")}: expected an integer from 0 to ${SEEDS - 1} (--seeds ${SEEDS})\n`);
  process.exit(2);
}
const budgetFile = resolve(flag("budget", join(PACKAGE_ROOT, "configs", "budgets", "paper.yaml")));
if (!existsSync(budgetFile)) {
  process.stderr.write(`compare:paper-budget: --budget ${budgetFile}: no such file\n`);
  process.exit(2);
}
// NaSPO first: the compare runs cells seed-major in this order, so a partial run has the method of the paper first.
const ALGOS = ["naspo", "diffusion-nft", "flow-grpo"] as const;
const ARM = { name: "naspo-batch-z", file: join(PACKAGE_ROOT, "configs", "arms", "sigma-batch-z.yaml") };
const ROWS = ["sft", ...ALGOS, ARM.name, "sft-continued"];
const SFT_CONTINUED_CONFIG = join(PACKAGE_ROOT, "configs", "sft-continued.yaml");
/** The budget's validation subset: SFT and SFT-continued are scored on the same val records as the RL curves. */
const VAL_SAMPLES = (YAML.parse(readFileSync(budgetFile, "utf8")) as { validation?: { samples?: number } }).validation?.samples ?? 100;

const b = DEMO_BENCHMARK;
const data = join(PACKAGE_ROOT, "runs", `benchmark-${b.size}`);
const root = resolve(flag("out", join(PACKAGE_ROOT, "runs", "compare-paper-budget")));
// A compare folder can be extended, not shrunk: one folder per first seed.
const cmp = join(root, FIRST_SEED === 0 ? "cmp" : `cmp-from-seed${FIRST_SEED}`);
/** The RL rows the compare folder already has (it refuses to shrink). */
const rowsThere = existsSync(join(cmp, "compare.json")) ? ((JSON.parse(readFileSync(join(cmp, "compare.json"), "utf8")) as { methods?: string[] }).methods ?? []) : [];
const TRAIN_ROWS = rowsToTrain(ALL_RL_ROWS, ROWS_ASKED, rowsThere);
const trainedAlgos = [...ALGOS.filter((a) => TRAIN_ROWS.includes(a)), ...(TRAIN_ROWS.includes(ARM.name) ? [`${ARM.name}=naspo:${ARM.file}`] : [])];
const results = resolve(flag("results", join(PACKAGE_ROOT, "results", "compare-paper-budget")));
const recordFile = join(root, "paper-budget.json");

// A later session without runs/ goes on from the steps (and the SFT-continued sizing) the records hold, so the
// wall time counts every session and every seed's SFT-continued run gets the same steps.
type BudgetRecord = { steps: RanStep[]; sft_continued?: Record<string, number> };
const keptRecord = join(results, "paper-budget.json");
const readKept = (): BudgetRecord | null => {
  if (!existsSync(keptRecord)) return null;
  const { steps, sft_continued } = JSON.parse(readFileSync(keptRecord, "utf8")) as BudgetRecord;
  return { steps, ...(sft_continued ? { sft_continued } : {}) };
};
const record: BudgetRecord = existsSync(recordFile) ? JSON.parse(readFileSync(recordFile, "utf8")) : (readKept() ?? { steps: [] });
const save = (): void => writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);

// Cells kept in results/ are only finished cells of this comparison if they were trained from the same base.
const initSha = checkpointHash(SHIPPED_SFT_DIR);
const keptCompares = existsSync(results) ? readdirSync(results).filter((f) => /^compare(\..+)?\.json$/.test(f)) : [];
for (const f of keptCompares) {
  const kept = (JSON.parse(readFileSync(join(results, f), "utf8")) as { init_sha256?: string }).init_sha256;
  if (kept !== initSha) {
    process.stderr.write(`compare:paper-budget: ${join(results, f)}: its cells were trained from another base (init sha256 ${kept ?? "missing"}, the shipped one is ${initSha}); move ${results} away to start over\n`);
    process.exit(2);
  }
}

function portraitrl(args: string[]): void {
  record.steps.push(runStep(args));
  save();
}

const readEvalFile = (file: string): EvalJson => evalJsonSchema.parse(JSON.parse(readFileSync(file, "utf8")));
const readEval = (dir: string): EvalJson => readEvalFile(join(dir, "eval.json"));
const evalDone = (dir: string): boolean => existsSync(join(dir, "eval.json"));
const metricsFile = (file: string): Record<string, unknown>[] =>
  readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
const metricsLines = (run: string): Record<string, unknown>[] => metricsFile(join(run, "metrics.jsonl"));

// ---- 1. benchmark; 2. the budget configs
mkdirSync(join(root, "configs"), { recursive: true });
if (!benchmarkIsThere(data, DEMO_BENCHMARK)) {
  portraitrl(["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`, "--test-identities", `${b.testIdentities}`,
    "--val-identities", `${b.valIdentities}`, "--sft-defects", sftDefectsFlag(b.sftDefects), "--size", `${b.size}`, "--seed", `${b.seed}`]);
}
const budget = YAML.parse(readFileSync(budgetFile, "utf8")) as Record<string, unknown>;
for (const algo of ALGOS) {
  const chosen = join(PACKAGE_ROOT, "results", "compare-demo-regime", `chosen-${algo}.yaml`);
  const text = configYaml(overlayConfig(YAML.parse(readFileSync(chosen, "utf8")) as Record<string, unknown>, budget), [`${algo} at the paper's budget: ${chosen} with ${budgetFile} on top (scripts/compare-paper-budget.ts)`]);
  writeFileSync(join(root, "configs", `${algo}.yaml`), text);
}

// ---- 3. the compare
const engine = await fastestEngine();
if (!RECORDS_ONLY && trainedAlgos.length > 0) portraitrl(["compare", "--data", data, "--init", SHIPPED_SFT_DIR, "--preset", DEMO_RL.preset, "--configs", join(root, "configs"),
  "--seeds", `${SEEDS - FIRST_SEED}`, "--first-seed", `${FIRST_SEED}`, "--out", cmp, "--engine", engine, "--stop", "val-best", "--algos", ["sft", ...trainedAlgos].join(","), "--no-progress"]);

/** A cell's file: this run's (cmp), else the one a finished earlier run left in results/. */
const cellFile = (row: string, k: number, file: "eval.json" | "metrics.jsonl"): string | null => {
  const here = join(cmp, row, `seed${k}`, file === "eval.json" ? "eval" : "run", file);
  const kept = join(results, row, `seed${k}`, file);
  return existsSync(here) ? here : existsSync(kept) ? kept : null;
};

// ---- 4. SFT continued for the longest RL arm's training time
const trainSeconds = (metrics: string): number =>
  metricsFile(metrics).reduce((t, l) => {
    const s = l.seconds as { rollout: number; judge: number; update: number };
    return t + s.rollout + s.judge + s.update;
  }, 0);
const rlRows = [...ALGOS, ARM.name];
const seeds = Array.from({ length: SEEDS }, (_, k) => k);
const trainSeeds = seeds.filter((k) => k >= FIRST_SEED);
const sftVal = join(root, "sft-val");
if (!evalDone(sftVal)) portraitrl(["eval", "--ckpt", SHIPPED_SFT_DIR, "--data", data, "--split", "val", "--samples", `${VAL_SAMPLES}`, "--out", sftVal, "--engine", engine, "--method", "sft", "--overwrite"]);
/** Each seed's SFT-continued validation points (this run's, else the ones a finished earlier run left in results/). */
const continuedCurves = new Map<number, CurvePoint[]>();
const keptCurveFile = (k: number): string => join(results, "sft-continued", `seed${k}`, "val-curve.json");
if (!RECORDS_ONLY) sftContinued();
for (const k of seeds) if (!continuedCurves.has(k) && existsSync(keptCurveFile(k))) continuedCurves.set(k, JSON.parse(readFileSync(keptCurveFile(k), "utf8")) as CurvePoint[]);

/** Its steps, fixed once: the longest RL arm's mean training seconds over the seeds, over a calibration run's seconds per step. */
function sftContinuedSizing(): { steps: number; ckpt_every: number } | null {
  if (record.sft_continued) return { steps: record.sft_continued.steps!, ckpt_every: record.sft_continued.ckpt_every! };
  const missing = rlRows.flatMap((r) => seeds.filter((k) => cellFile(r, k, "metrics.jsonl") === null).map((k) => `${r}/seed${k}`));
  if (missing.length > 0) {
    process.stderr.write(`compare:paper-budget: SFT continued is sized from every RL cell; it waits for them (missing: ${missing.join(", ")})\n`);
    return null;
  }
  const armSeconds = Object.fromEntries(rlRows.map((r) => [r, seeds.reduce((t, k) => t + trainSeconds(cellFile(r, k, "metrics.jsonl")!), 0) / SEEDS]));
  const calib = join(root, "sft-calibration");
  if (!existsSync(join(calib, "metrics.jsonl")) || checkpointSteps(calib).length === 0) {
    portraitrl(["sft", "--init", SHIPPED_SFT_DIR, "--data", data, "--out", calib, "--config", SFT_CONTINUED_CONFIG, "--steps", "20", "--ckpt-every", "20", "--seed", "0", "--no-progress"]);
  }
  const calibLast = metricsLines(calib).at(-1) as { step: number; time_s: number };
  const longest = Math.max(...Object.values(armSeconds));
  const steps = Math.max(12, Math.round(longest / (calibLast.time_s / calibLast.step)));
  const every = Math.ceil(steps / 12);
  record.sft_continued = { sized_from_seeds: SEEDS, longest_rl_arm_seconds: longest, calibration_seconds_per_step: calibLast.time_s / calibLast.step, steps, ckpt_every: every, ...Object.fromEntries(Object.entries(armSeconds).map(([k, v]) => [`${k}_seconds`, v])) };
  save();
  return { steps, ckpt_every: every };
}

/** SFT continued: sized, trained, scored on validation at each checkpoint, its best evaluated on test. */
function sftContinued(): void {
  const sizing = sftContinuedSizing();
  if (sizing === null) return;
  const { steps, ckpt_every: every } = sizing;
  for (const k of trainSeeds) {
    const keptOnly = !existsSync(join(cmp, "sft-continued", `seed${k}`)) && existsSync(join(results, "sft-continued", `seed${k}`, "eval.json")) && existsSync(keptCurveFile(k));
    if (keptOnly) continue;
    const missing = rlRows.filter((r) => cellFile(r, k, "metrics.jsonl") === null);
    if (missing.length > 0) {
      process.stderr.write(`compare:paper-budget: SFT continued, seed ${k}, waits for the RL cells of its seed (missing: ${missing.join(", ")})\n`);
      continue;
    }
    const dir = join(cmp, "sft-continued", `seed${k}`);
    const run = join(dir, "run");
    if (Math.max(0, ...checkpointSteps(run)) < steps) {
      portraitrl(["sft", "--init", SHIPPED_SFT_DIR, "--data", data, "--out", run, "--config", SFT_CONTINUED_CONFIG, "--steps", `${steps}`, "--ckpt-every", `${every}`, "--keep-checkpoints", "13", "--seed", `${k}`, "--no-progress"]);
    }
    const last = metricsLines(run).at(-1) as { step: number; time_s: number };
    const secondsAt = (step: number): number => (step * last.time_s) / last.step; // its mean seconds per step (metrics are logged every few steps)
    let best: { step: number; score: number } | null = null;
    const points: CurvePoint[] = [];
    for (const [order, step] of checkpointSteps(run).entries()) {
      const out = join(dir, "val", `step-${step}`);
      if (!evalDone(out)) portraitrl(["eval", "--ckpt", runPaths.checkpoint(run, step), "--data", data, "--split", "val", "--samples", `${VAL_SAMPLES}`, "--out", out, "--engine", engine, "--method", "sft-continued", "--overwrite"]);
      const m = readEval(out).metrics;
      const score = ((metricOf(m, "judge_dp").mean ?? NaN) + (metricOf(m, "judge_pf").mean ?? NaN)) / 2;
      if (best === null || score > best.score) best = { step, score };
      for (const metric of ["judge_dp", "judge_pf", "mse", "ssim"] as const) points.push({ group: `sft-continued:${metric}`, run: `s${k}`, order: order + 1, x: secondsAt(step), y: metricOf(m, metric).mean });
    }
    continuedCurves.set(k, points);
    const test = join(dir, "eval");
    const ckpt = runPaths.checkpoint(run, best!.step);
    if (!evalDone(test) || readEval(test).checkpoint !== `${ckpt} (ema)`) {
      portraitrl(["eval", "--ckpt", ckpt, "--data", data, "--split", "test", "--out", test, "--engine", engine, "--method", "sft-continued", "--seed", `${k}`, "--overwrite"]);
    }
  }
}

// ---- 5. tables, curves, grid, records
mkdirSync(results, { recursive: true });
const evalsOf = (row: string): EvalJson[] =>
  seeds.flatMap((k) => {
    const f = cellFile(row, k, "eval.json");
    return f === null ? [] : [readEvalFile(f)];
  });
const inputs = ROWS.map((row) => ({ method: row, label: row, evals: evalsOf(row) })).filter((r) => r.evals.length > 0);
const lines: string[] = [`# The comparison at the paper's budget (${SEEDS} training seed${SEEDS === 1 ? "" : "s"}; test split; stops chosen on validation)`, ""];
const held = inputs.flatMap((r) => r.evals.map((e) => `${r.method}/seed${e.seed}`));
if (held.length < ROWS.length * SEEDS) lines.push(`**Partial: ${held.length} of ${ROWS.length * SEEDS} cells finished** (${held.join(", ")}).`, "");
lines.push(`| row | ${PAIRED_METRICS.join(" | ")} |`, `|---|${PAIRED_METRICS.map(() => "---").join("|")}|`);
for (const r of inputs) {
  const mean = (m: (typeof PAIRED_METRICS)[number]) => r.evals.reduce((t, e) => t + (metricOf(e.metrics, m).mean ?? NaN), 0) / r.evals.length;
  lines.push(`| ${r.label} | ${PAIRED_METRICS.map((m) => mean(m).toFixed(4)).join(" | ")} |`);
}
for (const baseline of ["sft", "naspo"]) {
  const t = pairedSeedTable(inputs, baseline);
  if (!t || t.rows.length === 0) continue;
  lines.push("", `**row − ${baseline}**, paired by training seed: mean [95% t interval]; * excludes 0`, "", `| row | ${PAIRED_METRICS.join(" | ")} |`, `|---|${PAIRED_METRICS.map(() => "---").join("|")}|`);
  for (const row of t.rows) lines.push(`| ${row.label} | ${PAIRED_METRICS.map((m) => formatPairedCell(row.cells[m]!)).join(" | ")} |`);
}
lines.push("", "Chosen stops (epochs of the validation curve's best ½·(DP + PF)):", "");
/** The step of the checkpoint a cell's test eval read (its val-best point; kept cells have no run folder to ask). */
const chosenStep = (row: string, k: number): string | undefined => {
  const evalFile = cellFile(row, k, "eval.json");
  return evalFile === null ? undefined : /step-(\d+)/.exec(readEvalFile(evalFile).checkpoint)?.[1];
};
const chosenEpochs = (row: string, k: number): number | string => {
  const step = chosenStep(row, k);
  const metrics = cellFile(row, k, "metrics.jsonl");
  const line = step === undefined || metrics === null ? undefined : metricsFile(metrics).find((l) => l.step === Number(step));
  return (line?.val as { epochs?: number } | undefined)?.epochs ?? "—";
};
for (const row of rlRows) lines.push(`- ${row}: ${seeds.map((k) => chosenEpochs(row, k)).join(", ")}`);
lines.push(`- sft-continued (SFT steps of the best ½·(DP + PF) on validation): ${seeds.map((k) => chosenStep("sft-continued", k) ?? "—").join(", ")}`);
writeFileSync(join(results, "table.md"), `${lines.join("\n")}\n`);

const sftValMeans = readEval(sftVal).metrics;
const curveRuns: CurveRun[] = rlRows.flatMap((row) =>
  seeds.flatMap((k) => {
    const f = cellFile(row, k, "metrics.jsonl");
    return f === null ? [] : [{ group: row, run: `s${k}`, lines: metricsFile(f).map((l) => rlMetricsLineSchema.parse(l)) }];
  }),
);
for (const [metric, title] of VALIDATION_CURVES) {
  // Every curve starts at the shipped SFT base's point (epoch 0, second 0), then the run's own validation points.
  const start = curveRuns.map((r): CurvePoint => ({ group: r.group, run: r.run, order: 0, x: 0, y: metricOf(sftValMeans, metric).mean }));
  const { byEpoch: ownEpochs, bySeconds: ownSeconds } = validationPoints(curveRuns, metric);
  const byEpoch = [...start, ...ownEpochs];
  const bySeconds = [...start, ...ownSeconds];
  for (const [k, points] of continuedCurves.entries()) {
    bySeconds.push({ group: "sft-continued", run: `s${k}`, order: 0, x: 0, y: metricOf(sftValMeans, metric).mean });
    for (const p of points) if (p.group === `sft-continued:${metric}`) bySeconds.push({ ...p, group: "sft-continued" });
  }
  const opts = { title: `${title} (${VAL_SAMPLES} records)`, width: 420, height: 260 };
  await writeChartPng(await curveChart(byEpoch, { ...opts, xLabel: "epochs (48 groups × G 8 each)" }), join(results, `curve-${metric}-epochs.png`));
  await writeChartPng(await curveChart(bySeconds, { ...opts, xLabel: "training seconds (rollout + judge + update; SFT steps)" }), join(results, `curve-${metric}-seconds.png`));
}
// A compare folder missing some rows, or a `--first-seed` one, holds only its own cells: its compare records are kept beside the full run's.
const cmpRows = rowsToTrain(ALL_RL_ROWS, TRAIN_ROWS, rowsThere);
const rowsSuffix = `${cmpRows.length === ALL_RL_ROWS.length ? "" : `.${cmpRows.join("+")}`}${FIRST_SEED === 0 ? "" : `.from-seed${FIRST_SEED}`}`;
const gridRows = ROWS.filter((r) => evalDone(join(cmp, r, `seed${FIRST_SEED}`, "eval")));
if (gridRows.length > 0) portraitrl(["grid", ...gridRows.map((r) => join(cmp, r, `seed${FIRST_SEED}`, "eval")), "--out", join(results, gridFileName(FIRST_SEED, gridRows, ROWS)), "--records", "16", "--zoom", "5"]);
for (const f of ["compare", "results"]) if (existsSync(join(cmp, `${f}.json`))) copyFileSync(join(cmp, `${f}.json`), join(results, `${f}${rowsSuffix}.json`));
// Finished cells only (an eval of its chosen checkpoint): a run stopped part-way leaves nothing in results/.
for (const row of ROWS) {
  for (const k of trainSeeds) {
    const dir = join(cmp, row, `seed${k}`);
    if (!evalDone(join(dir, "eval"))) continue;
    mkdirSync(join(results, row, `seed${k}`), { recursive: true });
    copyFileSync(join(dir, "eval", "eval.json"), join(results, row, `seed${k}`, "eval.json"));
    if (existsSync(join(dir, "run", "metrics.jsonl"))) copyFileSync(join(dir, "run", "metrics.jsonl"), join(results, row, `seed${k}`, "metrics.jsonl"));
    if (row === "sft-continued" && continuedCurves.has(k)) writeFileSync(keptCurveFile(k), `${JSON.stringify(continuedCurves.get(k), null, 1)}\n`);
  }
}
// Another invocation (another --out, e.g. a later seed on the other core) may have added its steps meanwhile: keep both.
const kept = readKept();
const ownSteps = record.steps.filter((s) => !kept?.steps.some((t) => t.command === s.command && t.seconds === s.seconds));
const merged: BudgetRecord = { steps: [...(kept?.steps ?? []), ...ownSteps], ...(record.sft_continued ?? kept?.sft_continued ? { sft_continued: record.sft_continued ?? kept!.sft_continued } : {}) };
const wall = merged.steps.reduce((t, s) => t + s.seconds, 0);
writeFileSync(join(results, "paper-budget.json"), `${JSON.stringify({ ...merged, seeds: SEEDS, rows: ROWS, engine, wall_seconds: wall, configs: readdirSync(join(root, "configs")) }, null, 2)}\n`);
process.stderr.write(`compare:paper-budget: ${(wall / 3600).toFixed(2)} h of steps in all; records in ${results}\n`);
// Every seed's cells in one compare folder for `portraitrl report` (cells kept only in results/ have no images to show);
// written last, so a view it cannot build (a cell finished in two compare folders) costs only the view.
const compareFolders = readdirSync(root).filter((d) => /^cmp(-from-seed\d+)?$/.test(d) && existsSync(join(root, d, "compare.json"))).sort().map((d) => join(root, d)); // cmp (seed 0) first: its compare.json is the view's base
try {
  if (compareFolders.length > 0) writeMergedCompareView(compareFolders, join(root, "all-seeds"), ROWS, seeds);
} catch (err) {
  process.stderr.write(`compare:paper-budget: no ${join(root, "all-seeds")}: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
