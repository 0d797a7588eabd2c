/** Fixtures for the trainer tests: a tiny "SFT" checkpoint, a small synthetic dataset, simple rewards. */
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, synthesizeDataset, type DatasetRecord } from "../../src/data/index.js";
import { trackLiveArrays } from "../../src/runtime/live.js";
import { buildModel, presetConfig, saveCheckpoint } from "../../src/model/index.js";
import { toRgb, type RewardItem, type RewardModel, type RewardScores } from "../../src/reward/index.js";

/** A tiny-model checkpoint with a random-init base (the algorithm tests need no trained SFT). */
export async function makeInit(dir: string, preset = "tiny", seed = 0): Promise<string> {
  const config = presetConfig(preset);
  const m = buildModel(config);
  await saveCheckpoint(dir, { config, base: m.initBase(seed) });
  return dir;
}

/** A synthetic dataset at the tiny model's 16 px. */
export async function makeData(dir: string, identities = 4, size = 16): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await synthesizeDataset({ out: dir, identities, perIdentity: 1, size, seed: 5, testIdentities: 1 });
  return dir;
}

/** Settings that let a tiny run move within a few epochs: more optimizer steps per epoch and a large learning rate. */
export const FAST = { optimizer: { lr: 0.02 }, stepsPerEpoch: 4 };

/** A fresh temp folder (`prefix` names it) with a tiny init checkpoint and dataset, its train records, and live arrays tracked. */
export async function trainerWorkspace(prefix: string): Promise<{ root: string; init: string; data: string; records: DatasetRecord[] }> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const init = await makeInit(join(root, "init"));
  const data = await makeData(join(root, "data"));
  await trackLiveArrays();
  return { root, init, data, records: await loadDataset(data, "train") };
}

/** Mean pixel value of the generated image, as both objectives: a reward that prefers brighter images. */
export class BrightnessReward implements RewardModel {
  readonly name = "brightness";
  readonly needsTarget = false;
  calls = 0;
  items = 0;

  async score(items: readonly RewardItem[]): Promise<RewardScores> {
    this.calls++;
    this.items += items.length;
    const s: number[] = [];
    for (const it of items) {
      const { data } = await toRgb(it.generated);
      s.push(data.reduce((a, b) => a + b, 0) / data.length);
    }
    return { dp: s, pf: [...s], objectives: 1, diagnostics: { nanDp: 0, nanPf: 0, meanMass: 1, meanLatencyMs: 0, cacheHits: 0, errors: [] } };
  }

  async close(): Promise<void> {}
}
