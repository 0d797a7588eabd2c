/**
 * The flags several commands share, declared once: the judge and embedder flags (judge, eval, train,
 * compare, sweep, serve-reward) and `--engine`, the forward engine (train, eval, compare, sweep), with
 * its one default (model/forward.ts `DEFAULT_FORWARD_ENGINE`).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../runtime/errors.js";
import { parseLevels, type JudgeConfig } from "../reward/index.js";
import { DEFAULT_FORWARD_ENGINE, FORWARD_ENGINES, forwardEngineFlag, type ForwardEngine } from "../model/index.js";

/** `--engine`: `what` says what runs on it; absent, the caller's default (`engineFlag`). */
export function addEngineOption(cmd: Command, what: string): Command {
  return cmd.option("--engine <name>", `forward engine of ${what}: ${FORWARD_ENGINES.join(" or ")} (onnx: onnxruntime-node's native CPU kernels, the optional dependency; default ${DEFAULT_FORWARD_ENGINE})`);
}

/** `--engine`'s value (one line, exit 2, when it names no engine); absent: the default. */
export function engineFlag(value: string | undefined): ForwardEngine {
  return forwardEngineFlag("--engine", value ?? DEFAULT_FORWARD_ENGINE);
}

/** The judge flags that `addJudgeOptions` adds. */
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

/** A numeric flag's value, or one line naming it. */
export function numberFlag(flag: string, text: string, integer: boolean, min: number): number {
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
    topLogprobs: numberFlag("--top-logprobs", o.topLogprobs, true, 1),
    minMass: numberFlag("--min-mass", o.minMass, false, 0),
    concurrency: numberFlag("--judge-concurrency", o.judgeConcurrency, true, 1),
    timeoutMs: numberFlag("--judge-timeout", o.judgeTimeout, false, 0.001) * 1000,
    maxAttempts: numberFlag("--judge-retries", o.judgeRetries, true, 1),
    apiKeyEnv: o.judgeApiKeyEnv,
    cacheFile: o.cache === false ? null : resolve(o.cache ?? defaultCache),
    textFallback: o.judgeTextFallback === true,
    minImageSide: numberFlag("--judge-min-side", o.judgeMinSide, true, 0),
  };
}
