/**
 * `portraitrl data …`: the synthetic benchmark and dataset folders.
 *   data synth --out DIR --identities N --per-identity K --size S --seed X [--test-identities M]
 *   data check DIR                  validate every record and image; one line per problem, exit 1
 *   data stats DIR [--limit N]      JSON: counts, balance, parse-back, copy/oracle ground-truth scores
 *   data sheet DIR --out PNG        contact sheet of triplets with their instructions
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../runtime/errors.js";
import { NO_DEFECTS, formatProblem, loadDataset, synthesizeDataset, validateDataset, type DefectRates } from "../../data/index.js";
import { datasetStats } from "../../data/stats.js";
import { contactSheet } from "../../data/sheet.js";
import { requiredInt } from "../int-flag.js";
import { SPLIT_HELP, splitFlag } from "../split-flag.js";


async function requireDir(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => null);
  if (!s?.isDirectory()) throw new UserError(`${dir}: not a dataset folder`, 1);
}

/** Image size of a dataset: --size, else dataset.json's config.size, else 32. */
async function datasetSize(dir: string, flag: string | undefined): Promise<number> {
  if (flag !== undefined) return requiredInt("--size", flag, 0);
  try {
    const meta = JSON.parse(await readFile(join(dir, "dataset.json"), "utf8")) as { config?: { size?: unknown } };
    if (typeof meta.config?.size === "number") return meta.config.size;
  } catch {
    // No dataset.json: not written by `data synth`; fall back to the default size.
  }
  return 32;
}

/** `--sft-defects detail=R,colour=R,pose=R` (any subset; the others stay 0); synthesizeDataset checks the range. */
function defectRates(text: string): DefectRates {
  const rates: DefectRates = { ...NO_DEFECTS };
  for (const part of text.split(",")) {
    const m = /^(detail|colour|pose)=(\d*\.?\d+)$/.exec(part.trim());
    if (!m) throw new UserError(`--sft-defects ${JSON.stringify(text)}: expected detail=R,colour=R,pose=R with rates in [0, 1]`, 2);
    rates[m[1] as keyof DefectRates] = Number(m[2]);
  }
  return rates;
}

export function registerData(program: Command): void {
  const data = program.command("data").description("the synthetic CHEESE-like benchmark and dataset folders");

  data
    .command("synth")
    .description("render a synthetic dataset folder (train.jsonl, val.jsonl, test.jsonl, images/, dataset.json)")
    .requiredOption("--out <dir>", "new output folder")
    .option("--identities <n>", "training identities", "300")
    .option("--per-identity <k>", "triplets per training identity", "3")
    .option("--test-identities <m>", "test identities, one triplet each (default: ceil(identities / 6))")
    .option("--val-identities <m>", "validation identities, one triplet each (default: as many as test)")
    .option("--sft-defects <rates>", "training targets from an imperfect editor: detail=R,colour=R,pose=R (rates in [0, 1]; see README)")
    .option("--size <s>", "image size in pixels (multiple of 8; 32 or 64)", "32")
    .option("--seed <x>", "random seed", "0")
    .action(async (o: { out: string; identities: string; perIdentity: string; testIdentities?: string; valIdentities?: string; sftDefects?: string; size: string; seed: string }) => {
      const summary = await synthesizeDataset({
        out: o.out,
        identities: requiredInt("--identities", o.identities, 0),
        perIdentity: requiredInt("--per-identity", o.perIdentity, 0),
        size: requiredInt("--size", o.size, 0),
        seed: requiredInt("--seed", o.seed, 0),
        ...(o.testIdentities !== undefined ? { testIdentities: requiredInt("--test-identities", o.testIdentities, 0) } : {}),
        ...(o.valIdentities !== undefined ? { valIdentities: requiredInt("--val-identities", o.valIdentities, 0) } : {}),
        ...(o.sftDefects !== undefined ? { sftDefects: defectRates(o.sftDefects) } : {}),
      });
      process.stdout.write(JSON.stringify(summary) + "\n");
    });

  data
    .command("check")
    .description("validate every record and image of a dataset folder; exit 1 listing the problems")
    .argument("<dir>", "dataset folder")
    .action(async (dir: string) => {
      await requireDir(dir);
      const v = await validateDataset(dir);
      if (!v.splits.train && !v.splits.test) throw new UserError(`${dir}: no train.jsonl, test.jsonl or *_metadata.jsonl`, 1);
      if (v.problems.length > 0) {
        for (const p of v.problems) process.stderr.write(`${formatProblem(p)}\n`);
        throw new UserError(`${v.problems.length} problem${v.problems.length === 1 ? "" : "s"} in ${dir}`, 1);
      }
      const counts = Object.fromEntries(Object.entries(v.splits).map(([k, r]) => [k, r.length]));
      process.stdout.write(JSON.stringify({ ok: true, records: counts, formats: v.formats }) + "\n");
    });

  data
    .command("stats")
    .description("JSON: counts, attribute balance, instruction parse-back, ground-truth scores of copy-reference and oracle-target")
    .argument("<dir>", "dataset folder")
    .option("--size <s>", "image size (default: dataset.json, else 32)")
    .option("--limit <n>", "score at most N records per split")
    .action(async (dir: string, o: { size?: string; limit?: string }) => {
      await requireDir(dir);
      const size = await datasetSize(dir, o.size);
      const stats = await datasetStats(dir, size, o.limit === undefined ? Infinity : requiredInt("--limit", o.limit, 0));
      process.stdout.write(JSON.stringify({ dir, size, splits: stats }, null, 2) + "\n");
    });

  data
    .command("sheet")
    .description("draw a contact sheet of triplets (reference | target | instruction) to a PNG")
    .argument("<dir>", "dataset folder")
    .requiredOption("--out <png>", "output PNG")
    .option("--split <split>", SPLIT_HELP, "test")
    .option("--n <n>", "number of triplets", "16")
    .option("--size <s>", "image size (default: dataset.json, else 32)")
    .action(async (dir: string, o: { out: string; split: string; n: string; size?: string }) => {
      await requireDir(dir);
      const recs = (await loadDataset(dir, splitFlag(o.split))).slice(0, requiredInt("--n", o.n, 0));
      await contactSheet(recs, await datasetSize(dir, o.size), o.out);
      process.stdout.write(JSON.stringify({ out: o.out, triplets: recs.length }) + "\n");
    });
}
