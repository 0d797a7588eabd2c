/**
 * The SFT run folder: the shared run-folder module (src/runtime/run-folder.ts) with this kind's
 * config.json; metrics.jsonl has one line per log interval: {step, loss, lr, grad_norm, time_s}.
 */
import { inspectRunFolder, type RunFolderStatus } from "../runtime/run-folder.js";
import type { ModelConfig } from "../model/index.js";
import type { SftConfig } from "./config.js";

export const SFT_RUN_KIND = "portraitrl-sft";

export interface SftRunFile {
  kind: typeof SFT_RUN_KIND;
  version: 1;
  config: SftConfig;
  seed: number;
  model: ModelConfig;
  inputs: { data: string; train_records: number };
  versions: Record<string, string>;
  created_at: string;
}

/** An SFT run of this config (any field but `steps`, which may grow to extend a run), or a fresh folder. */
export function inspectSftRun(run: string, config: SftConfig): Promise<RunFolderStatus> {
  return inspectRunFolder(run, { kind: SFT_RUN_KIND, what: "an SFT run folder", config, extendable: "steps" });
}
