/** Eval and compare folders in the exact scratch/FORMATS.md format, with small PNGs written by sharp. */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";

export interface FixtureSample {
  id: string;
  instruction: string;
  judge_dp: number | null;
  judge_pf: number | null;
}

export async function tempDir(prefix = "rate-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A 64×64 "portrait": background, a body block and a head, colours and pose offset from `seed`. */
export async function writePortrait(file: string, seed: number): Promise<void> {
  const w = 64;
  const px = Buffer.alloc(w * w * 3);
  const bg = [200 - ((seed * 37) % 60), 210, 190 + ((seed * 11) % 50)];
  const body = [(seed * 53) % 200, 80 + ((seed * 29) % 150), 160];
  const shift = (seed % 5) * 3 - 6;
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const inHead = (x - 32 - shift) ** 2 + (y - 16) ** 2 < 64;
      const inBody = x > 22 + shift && x < 42 + shift && y > 25 && y < 58;
      const c = inHead ? [230, 190, 160] : inBody ? body : bg;
      px.set(c, (y * w + x) * 3);
    }
  }
  await sharp(px, { raw: { width: w, height: w, channels: 3 } }).png().toFile(file);
}

const metric = { mean: null, ci95: null, n: 0 };

/** Write an eval folder for `method` with the given samples (images refs/, images/, no targets). */
export async function writeEvalFolder(dir: string, method: string, samples: readonly FixtureSample[], opts: { images?: boolean } = {}): Promise<string> {
  await mkdir(join(dir, "images"), { recursive: true });
  await mkdir(join(dir, "refs"), { recursive: true });
  const evalJson = {
    kind: "portraitrl-eval",
    version: 1,
    method,
    checkpoint: `runs/${method}/checkpoints/latest`,
    checkpoint_sha256: "0".repeat(64),
    split: "test",
    seed: 0,
    steps: 6,
    judge: { name: "synthetic", model: null, prompt_sha256: { dp: null, pf: null }, levels: [0, 1, 2, 3, 4] },
    embedders: { clip: null, dino: null },
    versions: { portraitrl: "0.1.0", node: process.version, jax_js: "0.1.25" },
    created_at: "2026-11-26T00:00:00.000Z",
    metrics: Object.fromEntries(
      ["judge_dp", "judge_pf", "gt_pose", "gt_oks", "gt_detail", "copy_paste_rate", "clip_i", "dino_i", "clip_t"].map((m) => [m, metric]),
    ),
  };
  await writeFile(join(dir, "eval.json"), JSON.stringify(evalJson, null, 2));
  const lines: string[] = [];
  for (const [k, s] of samples.entries()) {
    lines.push(
      JSON.stringify({
        id: s.id,
        instruction: s.instruction,
        reference_image: `refs/${s.id}.png`,
        generated_image: `images/${s.id}.png`,
        target_image: null,
        judge_dp: s.judge_dp,
        judge_pf: s.judge_pf,
        gt_pose: null,
        gt_oks: null,
        gt_detail: null,
        copy_paste: null,
      }),
    );
    if (opts.images !== false) {
      await writePortrait(join(dir, "refs", `${s.id}.png`), k);
      await writePortrait(join(dir, "images", `${s.id}.png`), k + 1 + method.length);
    }
  }
  await writeFile(join(dir, "samples.jsonl"), lines.map((l) => `${l}\n`).join(""));
  return dir;
}

export const INSTRUCTIONS = [
  "raise the left arm above the head",
  "turn the head to the right and step closer to the camera",
  "cross both arms and move to the left of the frame",
  "show the full body, legs apart",
];

export function samplesFor(method: number, n = 4): FixtureSample[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rec${i}`,
    instruction: INSTRUCTIONS[i % INSTRUCTIONS.length]!,
    judge_dp: 0.5 + 0.1 * ((i + method) % 5),
    judge_pf: 0.3 + 0.15 * ((i * 2 + method) % 4),
  }));
}

/** A compare folder: compare.json + <method>/seed<k>/eval for each method (seeds 1 and 0, to test the pick). */
export async function writeCompareFolder(dir: string, methods: readonly string[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "compare.json"), JSON.stringify({ kind: "portraitrl-compare", version: 1, methods, seeds: [0, 1], table: {} }));
  for (const [m, method] of methods.entries()) {
    for (const seed of [1, 0]) {
      await writeEvalFolder(join(dir, method, `seed${seed}`, "eval"), method, samplesFor(m + seed * 10, 3));
      await mkdir(join(dir, method, `seed${seed}`, "run"), { recursive: true });
    }
  }
  return dir;
}
