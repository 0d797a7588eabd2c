/**
 * The RL run folder: the shared run-folder module (src/runtime/run-folder.ts) with this kind's
 * config.json and two more files:
 *   RUN/groups/epoch-<k>.jsonl     per-group rollouts with images (every few epochs; groups-dump.ts)
 *   RUN/judge-cache.jsonl          the judge's response cache (a resumed epoch pays nothing twice)
 */
import { join } from "node:path";
import { inspectRunFolder, runPaths, type RunFolderStatus } from "../../runtime/run-folder.js";
import type { TrainConfig } from "./config.js";

export const RUN_KIND = "portraitrl-train";

export interface RunConfigFile {
  kind: typeof RUN_KIND;
  version: 1;
  config: TrainConfig;
  seed: number;
  inputs: { data: string; init: string };
  judge: Record<string, unknown>;
  reward: string;
  versions: Record<string, string>;
  created_at: string;
}

export const paths = {
  ...runPaths,
  judgeCache: (run: string) => join(run, "judge-cache.jsonl"),
  groups: (run: string, epoch: number) => join(run, "groups", `epoch-${epoch}.jsonl`),
};

/** An RL run of this config (any field but `epochs`, which may grow to extend a run), or a fresh folder. */
export function inspectTrainRun(run: string, config: TrainConfig): Promise<RunFolderStatus> {
  return inspectRunFolder(run, { kind: RUN_KIND, what: "a training run folder", config, extendable: "epochs" });
}
