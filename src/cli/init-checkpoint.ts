/**
 * `--init` of train and compare: a checkpoint folder, or an SFT run folder (what `portraitrl sft --out`
 * writes), which stands for its latest checkpoint (pinned to that step's folder, so an SFT run that
 * continues does not change it). Also reads the checkpoint's model preset, from which `train` takes its
 * training preset when --preset is not given. A folder that is neither is left to loadCheckpoint to
 * report.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../runtime/errors.js";
import { SFT_RUN_KIND } from "../sft/index.js";
import { runPaths } from "../runtime/run-folder.js";

export interface InitCheckpoint {
  /** The checkpoint folder. */
  dir: string;
  /** Its model preset (config.json `model.preset`), or null when unreadable. */
  modelPreset: string | null;
}

export function resolveInitCheckpoint(flag: string, path: string): InitCheckpoint {
  let manifest: { kind?: unknown; model?: { preset?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(join(path, "config.json"), "utf8")) as typeof manifest;
  } catch {
    return { dir: path, modelPreset: null };
  }
  if (manifest.kind === SFT_RUN_KIND) {
    const latest = runPaths.latest(path);
    if (!existsSync(latest)) throw new UserError(`${flag} ${path}: an SFT run folder with no checkpoint yet (no checkpoints/latest); let the SFT run reach its first checkpoint`, 2);
    return resolveInitCheckpoint(flag, realpathSync(latest));
  }
  return { dir: path, modelPreset: typeof manifest.model?.preset === "string" ? manifest.model.preset : null };
}
