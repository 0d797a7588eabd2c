/** A tiny SFT dataset (C's synthetic benchmark at 16 px: 8 train triplets) and SFT configs for tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthesizeDataset } from "../../src/data/index.js";
import { DEFAULT_SFT_CONFIG, parseSftConfig, type SftConfig } from "../../src/sft/index.js";

const created: string[] = [];

/** A fresh temporary folder (removed by `removeTempDirs`). */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `portraitrl-sft-${tag}-`));
  created.push(dir);
  return dir;
}

/** Remove every folder `tempDir` made in this test file (call in afterAll). */
export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** 4 identities × 2 triplets = 8 train triplets of 16×16 images (the `tiny` preset's size). */
export async function tinyDataset(): Promise<string> {
  const dir = join(tempDir("data"), "data");
  const s = await synthesizeDataset({ out: dir, identities: 4, perIdentity: 2, size: 16, seed: 1 });
  if (s.train !== 8) throw new Error(`fixture: expected 8 train triplets, got ${s.train}`);
  return dir;
}

export function tinyConfig(over: Partial<SftConfig> = {}): SftConfig {
  return parseSftConfig(
    {
      ...DEFAULT_SFT_CONFIG,
      preset: "tiny",
      model: {},
      batchSize: 8,
      steps: 20,
      logEvery: 5,
      ckptEvery: 10,
      optimizer: { ...DEFAULT_SFT_CONFIG.optimizer, lr: 5e-3, warmupSteps: 20 },
      ...over,
    },
    "test",
  );
}
