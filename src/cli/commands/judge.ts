/**
 * `portraitrl judge --data DIR --images GEN_DIR --out scores.jsonl`: scores a folder of generated images
 * (GEN_DIR/<record id>.png) against a dataset split with one reward variant, writes one JSON line per
 * record and prints a summary. Without --judge-url the synthetic judge is used (synthetic data only).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import sharp from "sharp";
import { loadDataset, type DatasetRecord } from "../../data/index.js";
import { SPLIT_HELP, splitFlag } from "../split-flag.js";
import { UserError } from "../../runtime/errors.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { versions } from "../../runtime/versions.js";
import { parseRewardVariant, REWARD_VARIANTS, type Image, type RewardItem } from "../../reward/index.js";
import { buildReward, checkRewardSources } from "../../eval/reward-factory.js";
import { addJudgeOptions, judgeConfigFrom, numberFlag, type JudgeFlags } from "../shared-options.js";

interface JudgeCliOptions extends JudgeFlags {
  data: string;
  images: string;
  out: string;
  split: string;
  reward: string;
  batch: string;
}

async function pngImage(path: string): Promise<Image> {
  try {
    const bytes = await sharp(path).removeAlpha().png().toBuffer();
    return { kind: "png", bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
  } catch (err) {
    throw new UserError(`${path}: not a readable image (${err instanceof Error ? err.message : String(err)})`, 1);
  }
}

const round = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);
const mean = (xs: number[]): number | null => {
  const f = xs.filter(Number.isFinite);
  return f.length ? round(f.reduce((a, b) => a + b, 0) / f.length) : null;
};

export function registerJudge(program: Command): void {
  const cmd = program
    .command("judge")
    .description("score a folder of generated images (named <record id>.png) with a reward variant; writes one JSON line per record and prints a summary")
    .requiredOption("--data <dir>", "dataset folder (DESIGN §7)")
    .requiredOption("--images <dir>", "folder of generated images, <record id>.png")
    .requiredOption("--out <file>", "scores, JSONL")
    .option("--split <split>", SPLIT_HELP, "test")
    .option("--reward <variant>", REWARD_VARIANTS.join(" | "), "ours")
    .option("--batch <n>", "records scored per batch", "64");
  addJudgeOptions(cmd).action(async (o: JudgeCliOptions) => {
    const split = splitFlag(o.split);
    const variant = parseRewardVariant(o.reward);
    const batch = numberFlag("--batch", o.batch, true, 1);
    const out = resolve(o.out);
    const cfg = judgeConfigFrom(o, join(dirname(out), "judge-cache.jsonl"));
    const needsJudge = variant === "ours" || variant === "dual-pd";
    const sources = { judge: cfg, clipModel: o.clipModel ?? null, dinoModel: o.dinoModel ?? null };
    checkRewardSources(variant, sources, o.data);
    if (!existsSync(o.images)) throw new UserError(`--images ${o.images}: folder does not exist`, 1);

    const records: DatasetRecord[] = await loadDataset(o.data, split);
    const synthetic = records.every((r) => r.attributes !== undefined);
    const missing = records.filter((r) => !existsSync(join(o.images, `${r.id}.png`)));
    if (missing.length > 0) throw new UserError(`${o.images}: ${missing.length} of ${records.length} records have no generated image (first: ${join(o.images, `${missing[0]?.id}.png`)})`, 1);

    const ready = await buildReward(variant, sources, synthetic, o.data);
    for (const line of ready.probe) process.stderr.write(`${line}\n`);
    const judgeInfo = ready.describe;
    const model = ready.reward;

    const lines: string[] = [];
    const dpAll: number[] = [];
    const pfAll: number[] = [];
    let objectives: 1 | 2 = 2;
    let cacheHits = 0;
    const errors = new Set<string>();
    for (let i = 0; i < records.length; i += batch) {
      const chunk = records.slice(i, i + batch);
      const items: RewardItem[] = await Promise.all(
        chunk.map(async (r) => ({
          groupKey: r.id,
          reference: await pngImage(r.referenceImage),
          instruction: r.instruction,
          generated: await pngImage(join(o.images, `${r.id}.png`)),
          ...(needsJudge || !r.targetImage ? {} : { target: await pngImage(r.targetImage) }),
        })),
      );
      const res = await model.score(items);
      objectives = res.objectives;
      cacheHits += res.diagnostics.cacheHits;
      res.diagnostics.errors.forEach((e) => errors.add(e));
      chunk.forEach((r, k) => {
        const dp = res.dp[k] as number;
        const pf = res.pf[k] as number;
        dpAll.push(dp);
        pfAll.push(pf);
        lines.push(JSON.stringify(objectives === 2 ? { id: r.id, dp: round(dp), pf: round(pf) } : { id: r.id, score: round(dp) }));
      });
    }
    await model.close();
    await writeFileAtomic(out, lines.map((l) => `${l}\n`).join(""));

    const nan = (xs: number[]): number => xs.filter((x) => !Number.isFinite(x)).length;
    const summary = {
      out,
      reward: model.name,
      n: records.length,
      ...(objectives === 2 ? { dp: { mean: mean(dpAll), nan: nan(dpAll) }, pf: { mean: mean(pfAll), nan: nan(pfAll) } } : { score: { mean: mean(dpAll), nan: nan(dpAll) } }),
      cacheHits,
      errors: [...errors].slice(0, 5),
      config: { data: resolve(o.data), split: o.split, images: resolve(o.images), variant, judge: judgeInfo },
      versions: versions(),
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  });
}
