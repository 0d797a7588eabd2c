/** `portraitrl rate`: the blinded user-study page (serve mode) and its summary (Table 2 layout). */
import type { Command } from "commander";
import { join, resolve } from "node:path";
import { UserError } from "../../runtime/errors.js";
import { startRateServer } from "../../report/rate/server.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { prepareRateSet, readRateSet } from "../../report/rate/set.js";
import { loadSampleSources } from "../../report/rate/sources.js";
import { ratingsPath, type LogProblem } from "../../report/rate/store.js";
import { formatSummary, loadAllRatings, summarize } from "../../report/rate/summary.js";
import { requiredInt } from "../int-flag.js";

interface RateOptions {
  samples?: string[];
  summary?: string;
  rater?: string;
  port: string;
  out: string;
  seed: string;
  limit?: string;
  resamples: string;
  json?: boolean;
}


function reportProblems(file: string, problems: readonly LogProblem[]): void {
  for (const p of problems) process.stderr.write(`${file}:${p.line}: ${p.reason} (line skipped; the file is left as it is)\n`);
}

async function serve(opts: RateOptions, dirs: string[]): Promise<void> {
  if (opts.rater === undefined) throw new UserError("rate: --rater NAME is required with --samples (ratings are stored per rater)", 2);
  const port = requiredInt("--port", opts.port, 0);
  if (port > 65535) throw new UserError(`rate: --port ${port}: above 65535`, 2);
  const seed = requiredInt("--seed", opts.seed, 0);
  const limit = opts.limit === undefined ? null : requiredInt("--limit", opts.limit, 1);
  const sources = await loadSampleSources(dirs);
  const { set, reused } = await prepareRateSet(opts.out, sources, { seed, limit });
  const server = await startRateServer({ set, outDir: opts.out, rater: opts.rater, port });
  const stopped = new Promise<NodeJS.Signals>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  reportProblems(ratingsPath(opts.out, opts.rater), server.problems);
  const st = server.state();
  process.stdout.write(
    `rate: ${server.url}\n` +
      `rate: ${reused ? "continuing" : "prepared"} ${join(opts.out, "set.json")}: ${set.items.length} samples from ${set.sources.length} method(s), seed ${set.seed}; ` +
      `rater ${opts.rater} has rated ${st.done}/${st.total}; ratings append to ${ratingsPath(opts.out, opts.rater)}; Ctrl-C to stop\n`,
  );
  const signal = await stopped;
  await server.close();
  const end = server.state();
  throw new UserError(`rate: stopped by ${signal}; rater ${opts.rater} has rated ${end.done}/${end.total}`, 130);
}

async function summary(opts: RateOptions, dir: string): Promise<void> {
  const seed = requiredInt("--seed", opts.seed, 0);
  const resamples = requiredInt("--resamples", opts.resamples, 1);
  const set = await readRateSet(dir);
  const raters = loadAllRatings(dir, set);
  for (const r of raters) reportProblems(ratingsPath(dir, r.name), r.problems);
  const s = summarize(set, raters, { resamples, seed });
  const out = join(dir, "summary.json");
  await writeFileAtomic(out, `${JSON.stringify(s, null, 2)}\n`);
  process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatSummary(s)}\nwrote ${resolve(out)}\n`);
}

export function registerRate(program: Command): void {
  program
    .command("rate")
    .description("user study: rate samples blind in a local browser page (DP and PF, 0-4), or summarise the ratings (Table 2)")
    .option("--samples <dirs...>", "eval or compare folders to rate (serves the page)")
    .option("--summary <dir>", "a ratings folder to summarise (writes <dir>/summary.json, prints the table)")
    .option("--rater <name>", "who rates (required with --samples); one live session per name, a later session continues")
    .option("--port <n>", "port on 127.0.0.1 (0 = any free port)", "8765")
    .option("--out <dir>", "ratings folder: set.json (the blinding key) and <rater>.jsonl", "ratings")
    .option("--seed <n>", "seed of the sample choice, shuffle and ids; with --summary, of the bootstrap", "0")
    .option("--limit <n>", "rate only N sample ids, the same ones for every method")
    .option("--resamples <n>", "bootstrap resamples for --summary", "2000")
    .option("--json", "with --summary: print the JSON instead of the table")
    .action(async (opts: RateOptions) => {
      const hasSamples = opts.samples !== undefined;
      const hasSummary = opts.summary !== undefined;
      if (hasSamples === hasSummary) throw new UserError("rate: give exactly one of --samples DIR... (rate) or --summary DIR (summarise)", 2);
      if (hasSamples) await serve(opts, opts.samples!);
      else await summary(opts, opts.summary!);
    });
}
