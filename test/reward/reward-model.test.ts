import { describe, expect, it } from "vitest";
import {
  EncoderRewardModel, JudgeRewardModel, aggregateRewards, cosine, createRewardModel, type Embedder, type Image, type Judge, type JudgeRequest, type RewardItem,
} from "../../src/reward/index.js";
import { UserError } from "../../src/runtime/errors.js";

/** Images carry a 2-d "embedding" in their pixels; texts embed to [1, 0]. */
const img = (x: number, y: number): Image => ({ kind: "rgb", data: new Float32Array([x, y, 0]), width: 1, height: 1 });
const toy: Embedder = {
  name: "toy",
  embedImages: async (images) => images.map((i) => (i.kind === "rgb" ? new Float32Array([i.data[0]!, i.data[1]!]) : new Float32Array(2))),
  embedTexts: async (texts) => texts.map(() => new Float32Array([1, 0])),
};

describe("encoder rewards (Table 3 ablation)", () => {
  const item: RewardItem = { groupKey: "g", reference: img(0, 1), instruction: "x", generated: img(1, 1), target: img(1, 0) };
  const c = Math.SQRT1_2; // cos(45°)
  it("golden values: clip-t, clip-i, dino-i, directional", async () => {
    // S(gen,tgt) = c, S(gen,T) = c, S(gen,ref) = c
    expect((await new EncoderRewardModel("clip-t", toy).score([item])).dp[0]).toBeCloseTo(2 * c, 12);
    expect((await new EncoderRewardModel("clip-i", toy).score([item])).dp[0]).toBeCloseTo(c + (c - c), 12);
    expect((await new EncoderRewardModel("dino-i", toy).score([{ ...item, generated: img(1, 0) }])).dp[0]).toBeCloseTo(1 + (1 - 0), 12);
    const d = await new EncoderRewardModel("directional", toy).score([{ ...item, generated: img(2, 1) }]);
    // gen (2,1): S(gen,tgt) = 2/√5, S(gen,ref) = 1/√5
    expect(d.dp[0]).toBeCloseTo(1 / Math.sqrt(5), 12);
    expect(d.objectives).toBe(1);
    expect(d.pf).toEqual(d.dp);
  });

  it("needs targets; a zero embedding gives NaN, not a number", async () => {
    await expect(new EncoderRewardModel("clip-i", toy).score([{ ...item, target: undefined }])).rejects.toThrow(UserError);
    const r = await new EncoderRewardModel("clip-i", toy).score([{ ...item, generated: img(0, 0) }]);
    expect(r.dp[0]).toBeNaN();
    expect(r.diagnostics.nanDp).toBe(1);
    expect(cosine(new Float32Array([1, 0]), new Float32Array([0, 0]))).toBeNaN();
  });

  it("the factory names what is missing", () => {
    expect(() => createRewardModel("ours", {})).toThrow(/needs a judge/);
    expect(() => createRewardModel("dino-i", { clip: toy })).toThrow(/--dino-model/);
    expect(() => createRewardModel("clip-t", { clip: { name: "img-only", embedImages: toy.embedImages } })).toThrow(/text encoder/);
  });
});

describe("judge reward models", () => {
  /** A judge whose level distribution is one-hot at a level read from the generated pixel. */
  const fake = (): Judge & { calls: JudgeRequest[] } => {
    const calls: JudgeRequest[] = [];
    return {
      name: "fake",
      levels: [0, 1, 2, 3, 4],
      calls,
      async judge(req) {
        calls.push(req);
        const v = req.generated.kind === "rgb" ? req.generated.data[req.kind === "dp" ? 0 : 1]! : 0;
        if (Number.isNaN(v)) return { logprobs: [NaN, NaN, NaN, NaN, NaN], mass: 0, tokens: [], latencyMs: 1, cached: false, mode: "logprobs", error: "x" };
        return { logprobs: [0, 1, 2, 3, 4].map((l) => (l === v ? 0 : -Infinity)), mass: 1, tokens: [], latencyMs: 1, cached: false, mode: "synthetic" };
      },
      async close() {},
    };
  };

  it("ours: DP and PF per item (Eq. 9–11), NaN kept, then Eq. 12–13 per group", async () => {
    const j = fake();
    const items: RewardItem[] = [
      { groupKey: "a", reference: img(0, 0), instruction: "i", generated: img(4, 0) },
      { groupKey: "a", reference: img(0, 0), instruction: "i", generated: img(2, 4) },
      { groupKey: "a", reference: img(0, 0), instruction: "i", generated: img(NaN, 2) },
    ];
    const r = await new JudgeRewardModel(j).score(items);
    expect(r.dp.slice(0, 2)).toEqual([1, 0.5]);
    expect(r.dp[2]).toBeNaN();
    expect(r.pf).toEqual([0, 1, 0.5]);
    expect(r.diagnostics.nanDp).toBe(1);
    expect(j.calls.map((c) => c.kind).sort()).toEqual(["dp", "dp", "dp", "pf", "pf", "pf"]);
    const agg = aggregateRewards(r.dp, r.pf, items.map((i) => i.groupKey), { wDp: 0.5, recipe: "standardized" });
    // valid pair: dp (1, 0.5) → z (1, −1); pf (0, 1) → z (−1, 1): s = (0, 0)
    expect(agg.valid).toEqual([true, true, false]);
    expect(agg.s[0]).toBeCloseTo(0, 12);
    expect(agg.nanCount).toBe(1);
  });

  it("dual-pd: one judgement per item with the unified prompt", async () => {
    const j = fake();
    const r = await new JudgeRewardModel(j, "dual-pd").score([{ groupKey: "a", reference: img(0, 0), instruction: "i", generated: img(0, 3) }]);
    expect(j.calls.map((c) => c.kind)).toEqual(["dual"]);
    expect(r.objectives).toBe(1);
    expect(r.dp).toEqual([0.75]);
  });
});

describe("real CLIP/DINO embedders (optional package)", () => {
  it("say clearly how to install @huggingface/transformers when it is absent, or reject a folder that is not a model", async () => {
    const { clipEmbedder, dinoEmbedder } = await import("../../src/reward/index.js");
    for (const make of [clipEmbedder, dinoEmbedder]) {
      const err = await make("/nonexistent-model-folder").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toMatch(/npm i @huggingface\/transformers|not a model folder/);
    }
  });
});
