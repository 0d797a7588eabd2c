/**
 * From user options to a ready judge: validation first (exit 2, no request), then the judge, then the
 * start-up probe (a server that is down: one line naming it). Shared by every command that judges.
 */
import { resolve } from "node:path";
import { UserError } from "../runtime/errors.js";
import { DEFAULT_LEVELS, checkLevels } from "./levels.js";
import { OpenAIJudge, checkJudgeOptions, type JudgeAttempt } from "./openai-judge.js";
import { DEFAULT_PROMPT_DIR, loadTemplates } from "./prompts.js";
import { createHeldOutSyntheticJudge, createSyntheticJudge } from "./synthetic-default.js";
import type { Judge } from "./types.js";

/** Which synthetic judge stands in for the LVLM when no URL is given (synthetic-default.ts). */
export type SyntheticJudgeKind = "reward" | "held-out";
export const SYNTHETIC_JUDGE_KINDS: readonly SyntheticJudgeKind[] = ["reward", "held-out"];

export interface JudgeConfig {
  /** OpenAI-compatible base URLs; none → a synthetic judge (synthetic data only). */
  urls: string[];
  /** Without URLs: the training reward's judge (default) or the held-out one evaluation uses. */
  synthetic?: SyntheticJudgeKind;
  model?: string;
  levels?: number[];
  promptDir?: string;
  topLogprobs?: number;
  minMass?: number;
  concurrency?: number;
  /** Requests in flight at most to any one judge endpoint. */
  endpointConcurrency?: number;
  /** Observer of every HTTP attempt (metrics, logs). */
  onAttempt?: (event: JudgeAttempt) => void;
  timeoutMs?: number;
  maxAttempts?: number;
  apiKeyEnv?: string;
  /** JSONL cache file, or null for none. */
  cacheFile?: string | null;
  textFallback?: boolean;
  /** Shorter image side below which images are enlarged for the LVLM (default 56). */
  minImageSide?: number;
}

export interface ReadyJudge {
  judge: Judge;
  /** One verdict line per endpoint (empty for the synthetic judge). */
  probe: string[];
  /** What to record in outputs (never the API key). */
  describe: Record<string, unknown>;
}

/** Checks everything that can be checked without a request. */
export function checkJudgeConfig(cfg: JudgeConfig, syntheticData: boolean, dataDir: string): void {
  checkLevels(cfg.levels ?? DEFAULT_LEVELS);
  if (cfg.urls.length === 0) {
    if (!syntheticData) {
      throw new UserError(`${dataDir}: no --judge-url given and the data are not synthetic (records carry no attributes), so there is no judge: pass --judge-url URL --judge-model M`);
    }
    return;
  }
  checkJudgeOptions({ ...cfg, urls: cfg.urls, model: cfg.model ?? "" });
  loadTemplates(cfg.promptDir ?? DEFAULT_PROMPT_DIR);
}

export async function buildJudge(cfg: JudgeConfig, syntheticData: boolean, dataDir: string): Promise<ReadyJudge> {
  checkJudgeConfig(cfg, syntheticData, dataDir);
  const levels = cfg.levels ?? [...DEFAULT_LEVELS];
  if (cfg.urls.length === 0) {
    const judge = cfg.synthetic === "held-out" ? createHeldOutSyntheticJudge({ levels }) : createSyntheticJudge({ levels });
    return { judge, probe: [], describe: { kind: judge.name, levels } };
  }
  const templates = loadTemplates(cfg.promptDir ?? DEFAULT_PROMPT_DIR);
  const judge = new OpenAIJudge({
    urls: cfg.urls,
    model: cfg.model ?? "",
    levels,
    templates,
    ...(cfg.topLogprobs !== undefined ? { topLogprobs: cfg.topLogprobs } : {}),
    ...(cfg.minMass !== undefined ? { minMass: cfg.minMass } : {}),
    ...(cfg.concurrency !== undefined ? { concurrency: cfg.concurrency } : {}),
    ...(cfg.endpointConcurrency !== undefined ? { endpointConcurrency: cfg.endpointConcurrency } : {}),
    ...(cfg.onAttempt !== undefined ? { onAttempt: cfg.onAttempt } : {}),
    ...(cfg.timeoutMs !== undefined ? { timeoutMs: cfg.timeoutMs } : {}),
    ...(cfg.maxAttempts !== undefined ? { maxAttempts: cfg.maxAttempts } : {}),
    ...(cfg.apiKeyEnv !== undefined ? { apiKeyEnv: cfg.apiKeyEnv } : {}),
    cacheFile: cfg.cacheFile ?? null,
    textFallback: cfg.textFallback ?? false,
    ...(cfg.minImageSide !== undefined ? { minImageSide: cfg.minImageSide } : {}),
  });
  const probe = await judge.probe();
  return {
    judge,
    probe,
    describe: {
      kind: "openai",
      urls: cfg.urls,
      model: cfg.model,
      levels,
      topLogprobs: cfg.topLogprobs ?? 20,
      minMass: cfg.minMass ?? 0.5,
      promptDir: resolve(cfg.promptDir ?? DEFAULT_PROMPT_DIR),
      textFallback: cfg.textFallback ?? false,
      minImageSide: cfg.minImageSide ?? 56,
    },
  };
}
