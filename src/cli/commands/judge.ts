/**
 * `portraitrl judge --data DIR --images GEN_DIR --out scores.jsonl`: scores a folder of generated images
 * (GEN_DIR/<record id>.png) against a dataset split with one reward variant, writes one JSON line per
 * record and prints a summary. Without --judge-url the synthetic judge is used (synthetic data only).
 */
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import type { Command } from "commander";
import sharp from "sharp";
import { loadDataset, type DatasetRecord } from "../../data/index.js";
import { SPLIT_HELP, splitFlag } from "../split-flag.js";
import { UserError } from "../../runtime/errors.js";
import { parseLevels, parseRewardVariant, type Image, type JudgeConfig, type RewardItem } from "../../reward/index.js";
import { buildReward, checkRewardSources } from "../../eval/reward-factory.js";

/** The judge flags that `addJudgeOptions` adds (shared by judge, eval and train). */
export interface JudgeFlags {
  judgeUrl: string[];
  judgeModel?: string;
  levels: string;
  prompts?: string;
  topLogprobs: string;
  minMass: string;
  judgeConcurrency: string;
  judgeTimeout: string;
  judgeRetries: string;
  judgeApiKeyEnv: string;
  judgeTextFallback?: boolean;
  judgeMinSide: string;
  cache?: string | false;
  clipModel?: string;
  dinoModel?: string;
}

interface JudgeCliOptions extends JudgeFlags {
  data: string;
  images: string;
  out: string;
  split: string;
  reward: string;
  batch: string;
}

function num(flag: string, text: string, integer: boolean, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new UserError(`${flag} ${JSON.stringify(text)}: expected ${integer ? "an integer" : "a number"} >= ${min}`);
  return n;
}

/** Flags only the OpenAI-compatible judge reads (the offline synthetic judge takes --levels only). */
const SERVER_ONLY = new Set(["judgeModel", "prompts", "topLogprobs", "minMass", "judgeConcurrency", "judgeTimeout", "judgeRetries", "judgeApiKeyEnv", "judgeTextFallback", "judgeMinSide", "cache"]);

/** A judge-server flag given without --judge-url would be ignored silently: refuse it (exit 2). */
function refuseServerFlagsWithoutUrl(cmd: Command): void {
  if ((cmd.getOptionValue("judgeUrl") as string[]).length > 0) return;
  const given = cmd.options.find((opt) => {
    const key = opt.attributeName();
    return SERVER_ONLY.has(key) && cmd.getOptionValueSource(key) === "cli" && (cmd.getOptionValue(key) === false) === opt.negate;
  });
  if (given) throw new UserError(`${given.long}: only used with --judge-url (without it the offline synthetic judge scores, and it does not read ${given.long})`, 2);
}

/**
 * The judge flags, and the embedder flags unless `embedders` is false (serve-reward, which scores with
 * the judge only), shared by every command that scores images.
 */
export function addJudgeOptions(cmd: Command, { embedders = true }: { embedders?: boolean } = {}): Command {
  cmd
    .hook("preAction", (c) => refuseServerFlagsWithoutUrl(c))
    .option("--judge-url <url>", "OpenAI-compatible base URL, e.g. http://localhost:8000/v1 (repeat for several servers in rotation)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--judge-model <name>", "model name the server serves (required with --judge-url)")
    .option("--levels <levels>", "score levels, single digits: '0-4' or '0,1,2,3,4'", "0-4")
    .option("--prompts <dir>", "folder with dp.txt, pf.txt, dual-pd.txt prompt templates (default: the shipped prompts/)")
    .option("--top-logprobs <k>", "top_logprobs per request (max 20)", "20")
    .option("--min-mass <p>", "probability mass on the levels below which a judgement is NaN", "0.5")
    .option("--judge-concurrency <n>", "requests in flight at most", "16")
    .option("--judge-timeout <s>", "per-request timeout in seconds", "120")
    .option("--judge-retries <n>", "tries per judgement, first included", "5")
    .option("--judge-api-key-env <name>", "environment variable holding the API key (never printed)", "PORTRAITRL_JUDGE_API_KEY")
    .option("--judge-text-fallback", "parse the digit from the text when the server returns no logprobs")
    .option("--judge-min-side <px>", "enlarge images whose shorter side is below this (nearest neighbour) before sending; 0: never", "56");
  if (embedders) {
    cmd
      .option("--clip-model <dir>", "local CLIP ONNX folder (transformers.js layout): the clip-t/clip-i/directional rewards, eval's clip_i and clip_t")
      .option("--dino-model <dir>", "local DINOv2 ONNX folder: the dino-i reward, eval's dino_i");
  }
  return cmd
    .option("--cache <file>", "judge response cache, JSONL (default: judge-cache.jsonl beside --out)")
    .option("--no-cache", "do not cache judge responses");
}

export function judgeConfigFrom(o: JudgeFlags, defaultCache: string): JudgeConfig {
  return {
    urls: o.judgeUrl,
    ...(o.judgeModel !== undefined ? { model: o.judgeModel } : {}),
    levels: parseLevels(o.levels),
    ...(o.prompts !== undefined ? { promptDir: o.prompts } : {}),
    topLogprobs: num("--top-logprobs", o.topLogprobs, true, 1),
    minMass: num("--min-mass", o.minMass, false, 0),
    concurrency: num("--judge-concurrency", o.judgeConcurrency, true, 1),
    timeoutMs: num("--judge-timeout", o.judgeTimeout, false, 0.001) * 1000,
    maxAttempts: num("--judge-retries", o.judgeRetries, true, 1),
    apiKeyEnv: o.judgeApiKeyEnv,
    cacheFile: o.cache === false ? null : resolve(o.cache ?? defaultCache),
    textFallback: o.judgeTextFallback === true,
    minImageSide: num("--judge-min-side", o.judgeMinSide, true, 0),
  };
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
    .option("--reward <variant>", "ours | dual-pd | clip-t | clip-i | dino-i | directional", "ours")
    .option("--batch <n>", "records scored per batch", "64");
  addJudgeOptions(cmd).action(async (o: JudgeCliOptions) => {
    const split = splitFlag(o.split);
    const variant = parseRewardVariant(o.reward);
    const batch = num("--batch", o.batch, true, 1);
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
    await mkdir(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    await writeFile(tmp, lines.map((l) => `${l}\n`).join(""));
    await rename(tmp, out);

    const version = (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;
    const nan = (xs: number[]): number => xs.filter((x) => !Number.isFinite(x)).length;
    const summary = {
      out,
      reward: model.name,
      n: records.length,
      ...(objectives === 2 ? { dp: { mean: mean(dpAll), nan: nan(dpAll) }, pf: { mean: mean(pfAll), nan: nan(pfAll) } } : { score: { mean: mean(dpAll), nan: nan(dpAll) } }),
      cacheHits,
      errors: [...errors].slice(0, 5),
      config: { data: resolve(o.data), split: o.split, images: resolve(o.images), variant, judge: judgeInfo },
      versions: { portraitrl: version, node: process.version },
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  });
}
