/**
 * `portraitrl demo`: the main job on the built-in defaults (issues 7, 17). Generates the synthetic
 * benchmark if absent (32 px; imperfect cold-start targets, exact validation and test targets), checks
 * and loads the shipped cold-start checkpoint, then trains two arms from it for about the same time, one
 * after the other: NaSPO (CPU preset, synthetic reward judge) and SFT continued on the same SFT data. Each arm's stop is chosen among its kept checkpoints on the validation split (demo/choose.ts).
 * It evaluates SFT and the two chosen checkpoints on the held-out test split (held-out identities and
 * instruction templates; the held-out judge and the pixel distance to the exact target), prints a
 * Table-1-style comparison with paired differences and writes report.html with the image grid
 * reference | target | SFT | NaSPO | SFT-continued. Every step is a `portraitrl` command and is reused
 * when its result is there already. The NaSPO rollouts and the evals sample on onnxruntime-node
 * (`--engine onnx`; its forward is about 8× jax-js's) where that optional dependency loads, else on jax-js;
 * demo.json records which.
 */
import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  DEMO_BENCHMARK, DEMO_RL, DEMO_RL_CONFIG, DEMO_SFT_CONTINUED, DEMO_SFT_CONTINUED_CONFIG, DEMO_VAL_SAMPLES, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS, sftDefectsFlag,
} from "../../demo/settings.js";
import { loadShippedCheckpoint } from "../../demo/shipped.js";
import { fastestEngine } from "../../model/index.js";
import { benchmarkIsThere, recordedTrainingSeconds, runCli } from "../../demo/steps.js";
import { skipped, type StepLog } from "../../runtime/child.js";
import { chooseOnValidation, validationPoint, type ValidationPoint } from "../../demo/choose.js";
import { evalIsCurrent, readEvalFolder } from "../../eval/folder.js";
import { checkpointSteps, runPaths } from "../../runtime/run-folder.js";
import { pairedDifferences, pairedLines } from "../../eval/paired.js";
import { buildTable1, rowsFromEvalFolders, tableToMarkdown, tableToTerminal } from "../../eval/tables.js";
import { writeReport } from "../../report/build.js";
import { cliRunner } from "../cell-commands.js";
import { optionalInt } from "../int-flag.js";

interface DemoOptions {
  work: string;
  epochs?: string;
  sftSteps?: string;
  samples?: string;
  progress: boolean;
}

/** This process's loader flags and CLI entry: each step's child runs the same code (under tsx too). */
const CLI = cliRunner(1).nodeArgs;

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("the main job on built-in defaults: NaSPO post-training of the shipped SFT editor, against it and against SFT continued for the same time (resumable)")
    .option("--work <dir>", "working folder (benchmark, runs, evals, report)", "runs/demo")
    .option("--epochs <n>", `RL epochs (default ${DEMO_RL.epochs})`)
    .option("--sft-steps <n>", `steps of the SFT-continued baseline (default ${DEMO_SFT_CONTINUED.steps}: about the wall time of the default epochs)`)
    .option("--samples <n>", `evaluate the first N test records (default: all) and at most N of the ${DEMO_VAL_SAMPLES} validation records`)
    .option("--no-progress", "no progress bars")
    .action(async (o: DemoOptions) => {
      const epochs = optionalInt("--epochs", o.epochs, 1);
      const sftSteps = optionalInt("--sft-steps", o.sftSteps, 1);
      const samples = optionalInt("--samples", o.samples, 1);
      const work = resolve(o.work);
      const data = join(work, "benchmark");
      const rlRun = join(work, DEMO_RL.algorithm);
      const contRun = join(work, "sft-continued");
      const evalDirs = { sft: join(work, "eval-sft"), rl: join(work, `eval-${DEMO_RL.algorithm}`), cont: join(work, "eval-sft-continued") };
      const quiet = o.progress ? [] : ["--no-progress"];
      const evalSamples = (split: "val" | "test"): number | undefined => (split === "val" ? Math.min(samples ?? DEMO_VAL_SAMPLES, DEMO_VAL_SAMPLES) : samples);
      const evalArgs = (split: "val" | "test") => {
        const n = evalSamples(split);
        return ["--data", data, "--split", split, "--seed", "0", ...(n !== undefined ? ["--samples", `${n}`] : [])];
      };
      const engine = await fastestEngine();
      const t0 = performance.now();
      const steps: StepLog[] = [];
      const evalStep = (ckpt: string, out: string, method: string, split: "val" | "test"): StepLog => {
        const args = ["eval", "--ckpt", ckpt, "--out", out, "--method", method, ...evalArgs(split), "--engine", engine, "--overwrite"];
        return evalIsCurrent(out, ckpt) ? skipped(`portraitrl ${args.join(" ")}`) : runCli(CLI, args);
      };

      await loadShippedCheckpoint(SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS);
      const b = DEMO_BENCHMARK;
      const synth = ["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`,
        "--test-identities", `${b.testIdentities}`, "--val-identities", `${b.valIdentities}`, "--sft-defects", sftDefectsFlag(b.sftDefects),
        "--size", `${b.size}`, "--seed", `${b.seed}`];
      steps.push(benchmarkIsThere(data, DEMO_BENCHMARK) ? skipped(`portraitrl ${synth.join(" ")}`) : runCli(CLI, synth));
      steps.push(evalStep(SHIPPED_SFT_DIR, evalDirs.sft, "sft", "test"));

      // The two arms one after the other (side by side they would need about 3 GB): each has the machine
      // to itself, and the SFT-continued step count is set to take about the NaSPO run's time.
      steps.push(runCli(CLI, ["train", "--algo", DEMO_RL.algorithm, "--preset", DEMO_RL.preset, "--data", data, "--init", SHIPPED_SFT_DIR,
        "--out", rlRun, "--config", DEMO_RL_CONFIG, "--seed", `${DEMO_RL.seed}`, "--epochs", `${epochs ?? DEMO_RL.epochs}`, "--engine", engine, ...quiet]));
      steps.push(runCli(CLI, ["sft", "--data", data, "--init", SHIPPED_SFT_DIR, "--out", contRun, "--config", DEMO_SFT_CONTINUED_CONFIG,
        "--seed", `${DEMO_SFT_CONTINUED.seed}`, "--steps", `${sftSteps ?? DEMO_SFT_CONTINUED.steps}`, ...quiet]));

      // Each arm's stop: its kept checkpoints on the validation split, the best of them on test.
      const validation: Record<string, { points: ValidationPoint[]; chosen: ValidationPoint }> = {};
      for (const [arm, run, testDir] of [[DEMO_RL.algorithm, rlRun, evalDirs.rl], ["sft-continued", contRun, evalDirs.cont]] as const) {
        const points = checkpointSteps(run).map((step) => {
          const out = join(work, `val-${arm}`, `step-${step}`);
          steps.push(evalStep(runPaths.checkpoint(run, step), out, arm, "val"));
          return validationPoint(step, out);
        });
        const chosen = chooseOnValidation(points);
        validation[arm] = { points, chosen };
        steps.push(evalStep(runPaths.checkpoint(run, chosen.step), testDir, arm, "test"));
      }

      const [sft, rl, cont] = [await readEvalFolder(evalDirs.sft), await readEvalFolder(evalDirs.rl), await readEvalFolder(evalDirs.cont)];
      const table = buildTable1(rowsFromEvalFolders([sft, rl, cont], work));
      const paired = {
        [`${DEMO_RL.algorithm} − sft`]: pairedDifferences(sft.samples, rl.samples),
        [`${DEMO_RL.algorithm} − sft-continued`]: pairedDifferences(cont.samples, rl.samples),
        "sft-continued − sft": pairedDifferences(sft.samples, cont.samples),
      };
      const trainSeconds = { [DEMO_RL.algorithm]: recordedTrainingSeconds(rlRun), "sft-continued": recordedTrainingSeconds(contRun) };
      const chosenLine = `stop chosen on validation (½·(DP + PF), held-out judge): ${Object.entries(validation).map(([arm, v]) => `${arm} step ${v.chosen.step} of ${v.points.map((p) => p.step).join("/")}`).join("; ")}`;
      const timeLine = `training time (as each run recorded it): ${Object.entries(trainSeconds).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(", ")}`;
      const pairedText = Object.entries(paired).map(([name, d]) => [`${name} on the same test records (mean, paired bootstrap 95% CI, seed 0):`, ...pairedLines(d)]);
      const report = await writeReport(evalDirs.rl, { before: evalDirs.sft, beside: [evalDirs.cont], out: join(work, "report.html") });
      const markdown = pairedText.map((block) => block.map((l, i) => (i === 0 ? l : `- ${l}`)).join("\n")).join("\n\n");
      await writeFile(join(work, "table.md"), `${tableToMarkdown(table)}\n${timeLine}\n${chosenLine}\n\n${markdown}\n`);
      const seconds = (performance.now() - t0) / 1000;
      await writeFile(join(work, "demo.json"), `${JSON.stringify({ steps, seconds, engine, train_seconds: trainSeconds, validation, table, paired }, null, 2)}\n`);
      process.stdout.write(`\n${tableToTerminal(table, { color: process.stdout.isTTY })}\n\n${timeLine}\n${chosenLine}\n\n${pairedText.map((b) => b.join("\n  ")).join("\n\n")}\n`);
      process.stdout.write(`\ndemo finished in ${(seconds / 60).toFixed(1)} min; report: ${report}\n`);
    });
}
