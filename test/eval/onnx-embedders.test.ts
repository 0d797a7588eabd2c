/**
 * The CLIP/DINO path end to end (issue 6): tiny ONNX models written by the test (test/fixtures/onnx) are
 * loaded by @huggingface/transformers + onnxruntime-node through the reward's clipEmbedder/dinoEmbedder and
 * scored by embeddingScores; every number is checked against the same tiny model computed by hand in plain
 * TS on the same pixels and token ids.
 */
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEvalEmbedders, folderPreprocess } from "../../src/eval/embedders.js";
import { embeddingScores, type EmbeddingPair } from "../../src/eval/metrics/embedding-scores.js";
import { DINOV2_PREPROCESS, OPENCLIP_PREPROCESS, preprocessImage } from "../../src/eval/metrics/preprocess.js";
import { clipEmbedder } from "../../src/reward/hf-embedder.js";
import type { Image } from "../../src/reward/types.js";
import { UserError } from "../../src/runtime/errors.js";
import { Message, int64s } from "../../src/model/onnx/proto.js";
import {
  cosine, referenceClipImage, referenceClipText, referenceDinoCls, referenceTokenize, writeTinyClip, writeTinyDino, type TinyClip, type TinyDino,
} from "../fixtures/onnx/tiny-embedders.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("hand-written ONNX protobuf writer", () => {
  it("encodes the protobuf documentation's examples and negative int64 as 10-byte varints", () => {
    expect(hex(new Message().int(1, 150).encode())).toBe("089601");
    expect(hex(new Message().string(2, "testing").encode())).toBe("120774657374696e67");
    expect(hex(new Message().int(3, -1).encode())).toBe("18ffffffffffffffffff01");
    expect(hex(new Message().float(2, 1).encode())).toBe("150000803f");
    // TensorProto dims=[2] data_type=7 name="s" raw_data=[-1, 3] little-endian int64
    expect(hex(int64s("s", [-1, 3]).encode())).toBe("0802" + "1007" + "420173" + "4a10" + "ffffffffffffffff" + "0300000000000000");
  });
});

/** A PNG with a different colour per quadrant and a gradient, w×h: resizing and cropping matter. */
async function pattern(w: number, h: number, seed: number): Promise<Image> {
  const buf = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const q = (x < w / 2 ? 0 : 1) + (y < h / 2 ? 0 : 2);
      const i = (y * w + x) * 3;
      buf[i] = (60 * q + 37 * seed + Math.floor((200 * x) / w)) % 256;
      buf[i + 1] = (90 * seed + 50 * q + Math.floor((150 * y) / h)) % 256;
      buf[i + 2] = (255 - 40 * q - 23 * seed) & 255;
    }
  const png = await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
  return { kind: "png", bytes: new Uint8Array(png) };
}

let root: string;
let clip: TinyClip;
let dino: TinyDino;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "portraitrl-onnx-"));
  clip = await writeTinyClip(join(root, "clip"));
  dino = await writeTinyDino(join(root, "dino"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("clip_i / dino_i / clip_t through transformers.js on tiny ONNX models", () => {
  it("match an independent computation, pair by position, and ignore batch padding", async () => {
    const enc = await loadEvalEmbedders({ clip: clip.dir, dino: dino.dir });
    expect(enc.record.clip_preprocess).toEqual(OPENCLIP_PREPROCESS);
    expect(enc.record.dino_preprocess).toEqual(DINOV2_PREPROCESS);
    const pairs: EmbeddingPair[] = [
      { generated: await pattern(64, 48, 1), reference: await pattern(32, 32, 4), instruction: "Raise the left arm." },
      { generated: await pattern(40, 90, 3), reference: await pattern(64, 48, 1), instruction: "zoom out, please! turn her head to the right" },
      { generated: await pattern(32, 32, 2), reference: await pattern(32, 32, 2), instruction: "step back" },
    ];
    const scores = await embeddingScores(pairs, { clip: enc.clip, dino: enc.dino, batchSize: 2 });

    for (const [i, p] of pairs.entries()) {
      const gC = referenceClipImage(clip, (await preprocessImage(p.generated, OPENCLIP_PREPROCESS)).data);
      const rC = referenceClipImage(clip, (await preprocessImage(p.reference, OPENCLIP_PREPROCESS)).data);
      const gD = referenceDinoCls(dino, (await preprocessImage(p.generated, DINOV2_PREPROCESS)).data);
      const rD = referenceDinoCls(dino, (await preprocessImage(p.reference, DINOV2_PREPROCESS)).data);
      const t = referenceClipText(clip, referenceTokenize(clip, p.instruction));
      // 4 decimals: onnxruntime averages 3136-pixel blocks in float32, the reference in float64 (~1e-5 apart);
      // a mis-pairing (reference of the next pair) would be off by far more.
      expect(scores[i]!.clip_i).toBeCloseTo(cosine(gC, rC), 4);
      expect(scores[i]!.dino_i).toBeCloseTo(cosine(gD, rD), 4);
      expect(scores[i]!.clip_t).toBeCloseTo(cosine(gC, t), 4);
      const other = pairs[(i + 1) % pairs.length]!;
      const oC = referenceClipImage(clip, (await preprocessImage(other.reference, OPENCLIP_PREPROCESS)).data);
      const oT = referenceClipText(clip, referenceTokenize(clip, other.instruction));
      expect(Math.abs(scores[i]!.clip_i! - cosine(gC, oC))).toBeGreaterThan(1e-3);
      expect(Math.abs(scores[i]!.clip_t! - cosine(gC, oT))).toBeGreaterThan(1e-3);
    }
    expect(scores[2]!.clip_i).toBeCloseTo(1, 6);
    expect(scores[2]!.dino_i).toBeCloseTo(1, 6);
    // The tokenizer: lower-cased words, punctuation and unknown words as <unk>, BOS … EOS.
    expect(referenceTokenize(clip, "Raise the left arm.")).toEqual([1, 4, 6, 7, 9, 3, 2]);
  });

  it("the folder's own image processor agrees on a 224×224 image (no resize), pixels normalised by hand", async () => {
    const w = 224;
    const raw = Buffer.alloc(w * w * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
    const img: Image = { kind: "png", bytes: new Uint8Array(await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png().toBuffer()) };
    const chw = new Float32Array(3 * w * w);
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < w * w; p++) chw[c * w * w + p] = ((raw[p * 3 + c] as number) / 255 - OPENCLIP_PREPROCESS.mean[c]!) / OPENCLIP_PREPROCESS.std[c]!;
    const expected = referenceClipImage(clip, chw);
    const viaProcessor = await clipEmbedder(clip.dir);
    const [e] = await viaProcessor.embedImages([img]);
    expect(cosine(e!, expected)).toBeCloseTo(1, 5);
    const norm = Math.hypot(...expected);
    expected.forEach((v, k) => expect(e![k]).toBeCloseTo(v / norm, 5));
  });

  it("reads sizes and statistics from preprocessor_config.json", () => {
    expect(folderPreprocess(dino.dir, "dino", "--dino-model")).toEqual(DINOV2_PREPROCESS);
  });

  it("a folder without the files it needs: one clear UserError naming the file, exit 2", async () => {
    const broken = await writeTinyDino(join(root, "broken"));
    await unlink(join(broken.dir, "onnx", "model.onnx"));
    const err = await loadEvalEmbedders({ dino: broken.dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/--dino-model .*broken: missing onnx\/model\.onnx/);
    expect((err as UserError).exitCode).toBe(2);
    const notClip = await loadEvalEmbedders({ clip: dino.dir }).catch((e: unknown) => e);
    expect((notClip as UserError).message).toMatch(/--clip-model .*missing tokenizer\.json/);
  });
});
