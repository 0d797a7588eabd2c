/** Fixture folders for the eval and report tests: tiny 32 px "portraits" drawn with sharp, and eval/run/compare folders. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { writeEvalFolder, type EvalSampleInput } from "../../src/eval/folder.js";
import type { EvalMeta } from "../../src/eval/format.js";

type RGB = readonly [number, number, number];
const BACKGROUNDS: RGB[] = [[190, 230, 210], [240, 200, 215], [190, 215, 245], [215, 210, 200]];
const TOPS: RGB[] = [[210, 50, 50], [50, 90, 200], [60, 160, 80], [220, 190, 40]];
const SKIN: RGB = [225, 180, 140];

export interface Look {
  identity: number;
  armsUp: boolean;
  shift: number;
  /** Top colour replaced by grey: a lost detail. */
  faded?: boolean;
}

/** A 32×32 PNG: background, head, torso, legs, two arms (down or raised), shifted horizontally. */
export async function portraitPng(look: Look): Promise<Buffer> {
  const W = 32;
  const buf = Buffer.alloc(W * W * 3);
  const bg = BACKGROUNDS[look.identity % BACKGROUNDS.length]!;
  const top = look.faded ? ([150, 150, 150] as const) : TOPS[(look.identity >> 2) % TOPS.length]!;
  for (let i = 0; i < W * W; i++) buf.set(bg, i * 3);
  const rect = (x0: number, y0: number, w: number, h: number, c: RGB) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0 + look.shift; x < x0 + look.shift + w; x++) if (x >= 0 && x < W && y >= 0 && y < W) buf.set(c, (y * W + x) * 3);
  };
  rect(13, 3, 6, 6, SKIN);
  rect(11, 10, 10, 10, top);
  rect(12, 20, 3, 10, [40, 50, 90]);
  rect(17, 20, 3, 10, [40, 50, 90]);
  if (look.armsUp) {
    rect(8, 2, 2, 9, top);
    rect(22, 2, 2, 9, top);
  } else {
    rect(8, 10, 2, 10, top);
    rect(22, 10, 2, 10, top);
  }
  return sharp(buf, { raw: { width: W, height: W, channels: 3 } }).png().toBuffer();
}

/** How a fake editor behaves: copy the reference, produce the target, or somewhere between. */
export type Editor = "copy-reference" | "oracle-target" | "sft" | "naspo" | "flow-grpo";

const QUALITY: Record<Editor, { dp: number; pf: number; follows: number }> = {
  "copy-reference": { dp: 0.97, pf: 0.1, follows: 0 },
  "oracle-target": { dp: 0.96, pf: 0.95, follows: 1 },
  sft: { dp: 0.8, pf: 0.6, follows: 0.5 },
  naspo: { dp: 0.86, pf: 0.78, follows: 0.75 },
  "flow-grpo": { dp: 0.82, pf: 0.72, follows: 0.65 },
};

export function evalMeta(method: string, seed: number): EvalMeta {
  return {
    method,
    checkpoint: `runs/${method}/checkpoints/latest`,
    checkpoint_sha256: "0".repeat(64),
    split: "test",
    seed,
    steps: 6,
    judge: { name: "synthetic", model: "synthetic-v1", prompt_sha256: { dp: "a".repeat(64), pf: "b".repeat(64) }, levels: [0, 1, 2, 3, 4] },
    embedders: { clip: null, dino: null },
    versions: { portraitrl: "0.1.0", node: process.version, jax_js: "0.1.25" },
    created_at: "2026-11-26T00:00:00.000Z",
  };
}

/** Deterministic jitter in [−0.05, 0.05]. */
const jitter = (i: number, seed: number) => (((i * 7919 + seed * 104729) % 101) / 100 - 0.5) / 10;

export async function evalSamples(editor: Editor, n: number, seed = 0): Promise<EvalSampleInput[]> {
  const q = QUALITY[editor];
  const out: EvalSampleInput[] = [];
  for (let i = 0; i < n; i++) {
    const ref: Look = { identity: i, armsUp: false, shift: 0 };
    const tgt: Look = { identity: i, armsUp: true, shift: i % 2 ? 4 : -4 };
    const follows = (i * 0.37 + seed * 0.11) % 1 < q.follows;
    const gen: Look = editor === "copy-reference" ? ref : editor === "oracle-target" ? tgt : { ...(follows ? tgt : ref), faded: q.dp < 0.85 && i % 3 === 0 };
    out.push({
      id: `rec-${String(i).padStart(3, "0")}`,
      instruction: `Raise both arms and step to the ${i % 2 ? "right" : "left"}.`,
      generated_png: await portraitPng(gen),
      reference_png: await portraitPng(ref),
      target_png: await portraitPng(tgt),
      judge_dp: Math.min(1, q.dp + jitter(i, seed)),
      judge_pf: Math.min(1, Math.max(0, q.pf + jitter(i + 3, seed))),
      gt_pose: editor === "copy-reference" ? 0 : follows ? 1 : 0.5,
      gt_oks: editor === "copy-reference" ? 0.2 : follows ? 0.9 + jitter(i, seed) : 0.4,
      gt_detail: gen.faded ? 0.7 : 1,
      copy_paste: editor === "copy-reference" ? true : !follows,
    });
  }
  return out;
}

export async function makeEvalFolder(dir: string, editor: Editor, n = 6, seed = 0): Promise<string> {
  await writeEvalFolder(dir, { meta: evalMeta(editor, seed), samples: await evalSamples(editor, n, seed) });
  return dir;
}

/** An RL run folder: config.json, metrics.jsonl with rising rewards, groups/epoch-<k>.jsonl with images. */
/** With `valEvery`, every that many epochs a metrics line carries a validation point (`val`), as `train --val-every` writes. */
export async function makeRunFolder(dir: string, opts: { epochs?: number; groups?: number; g?: number; groupEpochs?: number[]; rate?: number; valEvery?: number } = {}): Promise<string> {
  const epochs = opts.epochs ?? 6;
  const rate = opts.rate ?? 0.03;
  await mkdir(join(dir, "groups", "img"), { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ algorithm: "naspo", seed: 0, group_size: opts.g ?? 4 }, null, 2));
  const lines = [];
  for (let e = 0; e < epochs; e++) {
    const dp = 0.7 + rate * e;
    const pf = 0.5 + 1.5 * rate * e;
    lines.push({
      epoch: e, step: (e + 1) * 8, time_s: 3.5 * (e + 1),
      reward: { dp_mean: dp, pf_mean: pf, s_mean: (dp + pf) / 2 },
      dp_std_in_group: 0.12 - 0.005 * e, pf_std_in_group: 0.18 - 0.01 * e, nan_count: e === 2 ? 1 : 0,
      old_deviate: 0.01 * (e + 1), kl: null, delta_quantiles: [-0.2, 0, 0.2 + 0.01 * e], clip_fraction: null,
      loss: 0.5 - 0.02 * e, grad_norm: 1 + 0.1 * Math.sin(e), seconds: { rollout: 1.2, judge: 0.8, update: 1.5 },
      ...(opts.valEvery && (e + 1) % opts.valEvery === 0
        ? { val: { epochs: e + 1, n: 10, seconds: 0.4, means: { judge_dp: dp - 0.05, judge_pf: pf - 0.1, mse: 0.04 - 0.001 * e, ssim: 0.3 + 0.01 * e } } }
        : {}),
    });
  }
  await writeFile(join(dir, "metrics.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  for (const e of opts.groupEpochs ?? [0, epochs - 1]) {
    const rows = [];
    for (let k = 0; k < (opts.groups ?? 2); k++) {
      const ref = `groups/img/e${e}-g${k}-ref.png`;
      await writeFile(join(dir, ref), await portraitPng({ identity: k + 1, armsUp: false, shift: 0 }));
      const gens = [];
      for (let j = 0; j < (opts.g ?? 4); j++) {
        const image = `groups/img/e${e}-g${k}-${j}.png`;
        const up = (j + e) % 2 === 0;
        await writeFile(join(dir, image), await portraitPng({ identity: k + 1, armsUp: up, shift: up ? 3 : 0, faded: j === 3 }));
        gens.push({ image, dp: j === 3 ? 0.55 : 0.9, pf: up ? 0.85 : 0.2, adv: up ? 0.8 : 0.25 });
      }
      rows.push({ group_key: `rec-${k}`, instruction: "Raise both arms and step to the right.", reference_image: ref, generations: gens });
    }
    await writeFile(join(dir, "groups", `epoch-${e}.jsonl`), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  }
  return dir;
}

/** A compare folder: compare.json, <method>/seed<k>/{run,eval}; `skip` cells are left unfinished. */
export async function makeCompareFolder(dir: string, methods: Editor[], seeds: number[], opts: { skip?: string[]; n?: number; rewards?: string[] } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "compare.json"), JSON.stringify({ kind: "portraitrl-compare", version: 1, methods, seeds, table: {}, ...(opts.rewards ? { rewards: opts.rewards } : {}) }));
  for (const [mi, m] of methods.entries()) {
    for (const s of seeds) {
      if (opts.skip?.includes(`${m}/seed${s}`)) continue;
      if (m !== "sft") await makeRunFolder(join(dir, m, `seed${s}`, "run"), { epochs: 5, groups: 1, g: 4, rate: 0.01 * (mi + 1) + 0.003 * s, valEvery: 2 });
      await makeEvalFolder(join(dir, m, `seed${s}`, "eval"), m, opts.n ?? 4, s);
    }
  }
  return dir;
}
