/**
 * `groups/epoch-<k>.jsonl` (scratch/FORMATS.md): one line per group of the epoch with its reference and
 * its G generations (scores and advantage), images under `groups/img/epoch-<k>/`, all paths relative to
 * the run folder. The JSONL file is written atomically after its images.
 */
import { join } from "node:path";
import { writePng } from "../../data/index.js";
import type { DatasetRecord } from "../../data/index.js";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { tokensToImages } from "../../model/index.js";
import type { ModelConfig } from "../../model/index.js";
import { paths } from "./run-folder.js";

interface GroupInput {
  record: DatasetRecord;
  refPixels: Float32Array;
}

const num = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

export async function writeGroupsDump(
  run: string,
  epoch: number,
  config: ModelConfig,
  groups: readonly GroupInput[],
  G: number,
  samples: readonly { x0: Float32Array }[],
  dp: readonly number[],
  pf: readonly number[],
  adv: readonly (number | null)[],
): Promise<void> {
  const size = config.imageSize;
  const rel = (name: string): string => `groups/img/epoch-${epoch}/${name}`;
  const lines: string[] = [];
  for (let g = 0; g < groups.length; g++) {
    const grp = groups[g]!;
    const refName = rel(`${g}-ref.png`);
    await writePng(join(run, refName), grp.refPixels, size);
    const generations = [];
    for (let k = 0; k < G; k++) {
      const i = g * G + k;
      const name = rel(`${g}-${k}.png`);
      await writePng(join(run, name), tokensToImages(samples[i]!.x0, 1, config), size);
      generations.push({ image: name, dp: num(dp[i]), pf: num(pf[i]), adv: num(adv[i]) });
    }
    lines.push(JSON.stringify({ group_key: grp.record.id, instruction: grp.record.instruction, reference_image: refName, generations }));
  }
  await writeFileAtomic(paths.groups(run, epoch), lines.map((l) => l + "\n").join(""));
}
