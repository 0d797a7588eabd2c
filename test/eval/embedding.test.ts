import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { cosine as cosineSimilarity } from "../../src/reward/embedder.js";
import { embeddingScores } from "../../src/eval/metrics/embedding-scores.js";
import {
  DINOV2_PREPROCESS, OPENCLIP_PREPROCESS, centerCropOffset, preprocessImage, resizedSize, type PixelTensor, type PreprocessSpec,
} from "../../src/eval/metrics/preprocess.js";
import { tensorEmbedder, type TensorEncoder } from "../../src/eval/metrics/tensor-embedder.js";
import type { Embedder } from "../../src/reward/embedder.js";
import type { Image } from "../../src/reward/types.js";

type RGB = [number, number, number];

async function solid(w: number, h: number, c: RGB): Promise<Image> {
  const bytes = await sharp({ create: { width: w, height: h, channels: 3, background: { r: c[0], g: c[1], b: c[2] } } }).png().toBuffer();
  return { kind: "png", bytes };
}

/** Bands of colour along the long axis (vertical stripes for wide images, horizontal for tall ones). */
async function bands(w: number, h: number, colours: RGB[]): Promise<Image> {
  const buf = Buffer.alloc(w * h * 3);
  const along = w >= h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = colours[Math.floor(((along ? x : y) * colours.length) / (along ? w : h))]!;
      buf.set(c, (y * w + x) * 3);
    }
  }
  return { kind: "png", bytes: await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer() };
}

const normalised = (c: RGB, spec: PreprocessSpec) => c.map((v, i) => (v / 255 - spec.mean[i]!) / spec.std[i]!);

describe("preprocessing (§2.2)", () => {
  it("sizes like torchvision Resize(int) and CenterCrop", () => {
    expect(resizedSize(640, 480, 224)).toEqual({ width: 298, height: 224 });
    expect(resizedSize(832, 1248, 224)).toEqual({ width: 224, height: 336 });
    expect(resizedSize(32, 32, 256)).toEqual({ width: 256, height: 256 });
    expect(centerCropOffset(298, 224, 224)).toEqual({ left: 37, top: 0 });
    expect(centerCropOffset(299, 224, 224)).toEqual({ left: 38, top: 0 }); // round(37.5) = 38 (half to even)
    expect(centerCropOffset(297, 256, 224)).toEqual({ left: 36, top: 16 }); // round(36.5) = 36
  });

  it("normalises with the model's mean and std (CHW)", async () => {
    const c: RGB = [200, 100, 50];
    for (const spec of [OPENCLIP_PREPROCESS, DINOV2_PREPROCESS]) {
      const t = await preprocessImage(await solid(40, 30, c), spec);
      expect([t.channels, t.height, t.width]).toEqual([3, 224, 224]);
      const plane = 224 * 224;
      const want = normalised(c, spec);
      for (let ch = 0; ch < 3; ch++) {
        for (const p of [0, 1234, plane - 1]) expect(t.data[ch * plane + p]).toBeCloseTo(want[ch]!, 5);
      }
    }
  });

  it("keeps the centre and crops the sides of a non-square image", async () => {
    const spec: PreprocessSpec = { ...OPENCLIP_PREPROCESS, resize_shortest: 32, crop: 32 };
    const wide = await preprocessImage(await bands(96, 32, [[255, 0, 0], [0, 255, 0], [0, 0, 255]]), spec);
    const green = normalised([0, 255, 0], spec);
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 32 * 32; p++) expect(wide.data[ch * 1024 + p]).toBeCloseTo(green[ch]!, 5);
    const tallSpec: PreprocessSpec = { ...spec, resize_shortest: 16, crop: 16 };
    const tall = await preprocessImage(await bands(64, 192, [[255, 0, 0], [0, 0, 255], [255, 255, 0]]), tallSpec);
    const blue = normalised([0, 0, 255], tallSpec);
    for (let y = 3; y < 13; y++) for (let ch = 0; ch < 3; ch++) expect(tall.data[ch * 256 + y * 16 + 8]).toBeCloseTo(blue[ch]!, 2);
  });

  it("accepts raw RGB floats like the encoded image", async () => {
    const c: RGB = [10, 220, 130];
    const rgb = new Float32Array(8 * 8 * 3).map((_, i) => c[i % 3]! / 255);
    const a = await preprocessImage({ kind: "rgb", data: rgb, width: 8, height: 8 }, DINOV2_PREPROCESS);
    const b = await preprocessImage(await solid(8, 8, c), DINOV2_PREPROCESS);
    expect(Array.from(a.data.subarray(0, 50))).toEqual(Array.from(b.data.subarray(0, 50)));
  });
});

/** Test double: the mean of each normalised channel plus a constant 1 (never a zero vector). */
function meanColourEmbedder(name: string, spec: PreprocessSpec, texts?: Record<string, RGB>): Embedder & { calls: number[] } {
  const calls: number[] = [];
  const enc: TensorEncoder = {
    name,
    preprocess: spec,
    async encodeImages(imgs: PixelTensor[]) {
      calls.push(imgs.length);
      return imgs.map((t) => {
        const plane = t.height * t.width;
        const v = new Float32Array(4);
        for (let ch = 0; ch < 3; ch++) {
          let s = 0;
          for (let p = 0; p < plane; p++) s += t.data[ch * plane + p]!;
          v[ch] = s / plane;
        }
        v[3] = 1;
        return v;
      });
    },
  };
  if (texts) Object.assign(enc, { encodeTexts: async (ts: readonly string[]) => ts.map((t) => new Float32Array([...normalised(texts[t]!, spec), 1])) });
  return Object.assign(tensorEmbedder(enc), { calls });
}

describe("CLIP-I / DINO-I / CLIP-T", () => {
  const colours: { gen: RGB; ref: RGB; text: string }[] = [
    { gen: [200, 30, 30], ref: [190, 40, 35], text: "red" },
    { gen: [20, 200, 40], ref: [200, 200, 200], text: "green" },
    { gen: [30, 30, 220], ref: [30, 30, 220], text: "red" },
  ];
  const textColours: Record<string, RGB> = { red: [255, 0, 0], green: [0, 255, 0] };
  const expected = (a: RGB, b: RGB, spec: PreprocessSpec) => cosineSimilarity([...normalised(a, spec), 1], [...normalised(b, spec), 1]);

  it("pairs generated with reference (and text) by position, with each encoder's own preprocessing", async () => {
    const pairs = await Promise.all(colours.map(async (c) => ({ generated: await solid(12, 20, c.gen), reference: await solid(20, 12, c.ref), instruction: c.text })));
    const clip = meanColourEmbedder("clip", OPENCLIP_PREPROCESS, textColours);
    const dino = meanColourEmbedder("dino", DINOV2_PREPROCESS);
    const scores = await embeddingScores(pairs, { clip, dino, batchSize: 2 });
    expect(clip.calls).toEqual([4, 2]);
    for (const [i, c] of colours.entries()) {
      expect(scores[i]!.clip_i).toBeCloseTo(expected(c.gen, c.ref, OPENCLIP_PREPROCESS), 4);
      expect(scores[i]!.dino_i).toBeCloseTo(expected(c.gen, c.ref, DINOV2_PREPROCESS), 4);
      expect(scores[i]!.clip_t).toBeCloseTo(expected(c.gen, textColours[c.text]!, OPENCLIP_PREPROCESS), 4);
    }
    expect(scores[2]!.clip_i).toBeCloseTo(1, 5); // copying the reference is the ceiling
    expect(scores[0]!.clip_i).toBeGreaterThan(scores[1]!.clip_i!);
  });

  it("is null for a missing encoder or text tower", async () => {
    const pair = { generated: await solid(8, 8, [1, 2, 3]), reference: await solid(8, 8, [3, 2, 1]), instruction: "red" };
    expect(await embeddingScores([pair], {})).toEqual([{ clip_i: null, dino_i: null, clip_t: null }]);
    const [s] = await embeddingScores([pair], { clip: meanColourEmbedder("clip", OPENCLIP_PREPROCESS) });
    expect(s!.clip_i).not.toBeNull();
    expect(s!.clip_t).toBeNull();
  });

  it("rejects an encoder that returns the wrong number of embeddings", async () => {
    const pair = { generated: await solid(8, 8, [1, 2, 3]), reference: await solid(8, 8, [3, 2, 1]), instruction: "" };
    const bad: Embedder = { name: "bad", embedImages: async () => [new Float32Array([1])] };
    await expect(embeddingScores([pair], { dino: bad })).rejects.toThrow(/returned 1 embeddings for 2/);
  });
});
