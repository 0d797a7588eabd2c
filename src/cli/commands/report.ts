/** `portraitrl report DIR`: a self-contained report.html for a run, compare or eval folder. */
import type { Command } from "commander";
import { writeReport } from "../../report/build.js";
import { requiredInt } from "../int-flag.js";

interface ReportCliOptions {
  out?: string;
  before?: string;
  samples: string;
  groups: string;
}


export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write a self-contained report.html (curves, per-group grids, before/after samples, tables) for a run, compare or eval folder")
    .argument("<dir>", "a training run folder, a compare folder or an eval folder")
    .option("--out <file>", "where to write the report (default: <dir>/report.html)")
    .option("--before <evalDir>", "for an eval folder: another eval folder of the same split to show side by side (before → after)")
    .option("--samples <n>", "test records in the sample comparisons", "8")
    .option("--groups <n>", "groups shown per epoch in a run's grids", "4")
    .action(async (dir: string, opts: ReportCliOptions) => {
      const out = await writeReport(dir, {
        maxSamples: requiredInt("--samples", opts.samples, 1),
        maxGroups: requiredInt("--groups", opts.groups, 1),
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        ...(opts.before !== undefined ? { before: opts.before } : {}),
      });
      process.stdout.write(`${out}\n`);
    });
}
