/**
 * `portraitrl demo`: the main job on the built-in defaults (issue 7). Generates the synthetic
 * benchmark if absent, checks and loads the shipped cold-start checkpoint, runs NaSPO (CPU preset,
 * synthetic judge), evaluates SFT and NaSPO on the held-out test split (held-out identities and
 * instruction templates), prints a Table-1-style comparison and writes report.html with before/after
 * grids. Every step is a `portraitrl` command and is reused when its result is there already.
 */
import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_BENCHMARK, DEMO_RL, DEMO_RL_CONFIG, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS } from "../../demo/settings.js";
import { loadShippedCheckpoint } from "../../demo/shipped.js";
import { benchmarkIsThere, evalIsCurrent, runCli, skipped, type StepLog } from "../../demo/steps.js";
import { readEvalFolder } from "../../eval/folder.js";
import { pairedDifferences, pairedLines } from "../../eval/paired.js";
import { buildTable1, rowsFromEvalFolders, tableToMarkdown, tableToTerminal } from "../../eval/tables.js";
import { writeReport } from "../../report/build.js";
import { optionalInt } from "../int-flag.js";

interface DemoOptions {
  work: string;
  epochs?: string;
  samples?: string;
  progress: boolean;
}

const CLI_ENTRY = fileURLToPath(new URL("../main.js", import.meta.url));


export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("the main job on built-in defaults: NaSPO post-training of the shipped SFT editor, evaluated against it (resumable)")
    .option("--work <dir>", "working folder (benchmark, runs, evals, report)", "runs/demo")
    .option("--epochs <n>", `RL epochs (default ${DEMO_RL.epochs})`)
    .option("--samples <n>", "evaluate the first N test records (default: all)")
    .option("--no-progress", "no progress bars")
    .action(async (o: DemoOptions) => {
      const epochs = optionalInt("--epochs", o.epochs, 1);
      const samples = optionalInt("--samples", o.samples, 1);
      const work = resolve(o.work);
      const data = join(work, "benchmark");
      const rlRun = join(work, DEMO_RL.algorithm);
      const evalSft = join(work, "eval-sft");
      const evalRl = join(work, `eval-${DEMO_RL.algorithm}`);
      const quiet = o.progress ? [] : ["--no-progress"];
      const evalArgs = ["--data", data, "--split", "test", "--seed", "0", ...(samples !== undefined ? ["--samples", `${samples}`] : [])];
      const t0 = performance.now();
      const steps: StepLog[] = [];

      await loadShippedCheckpoint(SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS);
      const b = DEMO_BENCHMARK;
      const synth = ["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`,
        "--test-identities", `${b.testIdentities}`, "--size", `${b.size}`, "--seed", `${b.seed}`];
      steps.push(benchmarkIsThere(data, DEMO_BENCHMARK) ? skipped(`portraitrl ${synth.join(" ")}`) : runCli(CLI_ENTRY, synth));

      const sftEval = ["eval", "--ckpt", SHIPPED_SFT_DIR, "--out", evalSft, "--method", "sft", ...evalArgs, "--overwrite"];
      steps.push(evalIsCurrent(evalSft, SHIPPED_SFT_DIR) ? skipped(`portraitrl ${sftEval.join(" ")}`) : runCli(CLI_ENTRY, sftEval));

      steps.push(runCli(CLI_ENTRY, ["train", "--algo", DEMO_RL.algorithm, "--preset", DEMO_RL.preset, "--data", data,
        "--init", SHIPPED_SFT_DIR, "--out", rlRun, "--config", DEMO_RL_CONFIG, "--seed", `${DEMO_RL.seed}`,
        "--epochs", `${epochs ?? DEMO_RL.epochs}`, ...quiet]));

      const rlCkpt = join(rlRun, "checkpoints", "latest");
      const rlEval = ["eval", "--ckpt", rlCkpt, "--out", evalRl, "--method", DEMO_RL.algorithm, ...evalArgs, "--overwrite"];
      steps.push(evalIsCurrent(evalRl, rlCkpt) ? skipped(`portraitrl ${rlEval.join(" ")}`) : runCli(CLI_ENTRY, rlEval));

      const folders = [await readEvalFolder(evalSft), await readEvalFolder(evalRl)];
      const table = buildTable1(rowsFromEvalFolders(folders, work));
      const paired = pairedDifferences(folders[0]!.samples, folders[1]!.samples);
      const pairedText = [`${DEMO_RL.algorithm} − sft on the same test records (mean, paired bootstrap 95% CI, seed 0):`, ...pairedLines(paired)];
      const report = await writeReport(evalRl, { before: evalSft, out: join(work, "report.html") });
      await writeFile(join(work, "table.md"), `${tableToMarkdown(table)}\n${pairedText.map((l, i) => (i === 0 ? l : `- ${l}`)).join("\n")}\n`);
      const seconds = (performance.now() - t0) / 1000;
      await writeFile(join(work, "demo.json"), `${JSON.stringify({ steps, seconds, table, paired }, null, 2)}\n`);
      process.stdout.write(`\n${tableToTerminal(table, { color: process.stdout.isTTY })}\n\n${pairedText.join("\n  ")}\n`);
      process.stdout.write(`\ndemo finished in ${(seconds / 60).toFixed(1)} min; report: ${report}\n`);
    });
}
