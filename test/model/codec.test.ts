import { describe, expect, it } from "vitest";
import { imagesToTokens, tokensToImages, tokenize, presetConfig, positionIds, BUILTIN_VOCABULARY, PAD_ID, UNK_ID } from "../../src/model/index.js";

describe("image ↔ token codec", () => {
  const c = presetConfig("tiny"); // 16 px, patch 4 → 4×4 grid, 48 values per token

  it("patchifies row-major with (py, px, c) inside a patch, mapping [0,1] → [−1,1]", () => {
    const S = 16;
    const px = new Float32Array(S * S * 3);
    // pixel (y, x, ch) = ((y·16 + x)·3 + ch) / 767 in [0, 1]
    for (let i = 0; i < px.length; i++) px[i] = i / (px.length - 1);
    const tok = imagesToTokens(px, 1, c);
    expect(tok.length).toBe(16 * 48);
    // token n = 5 is grid (1, 1): its element (py=2, px=3, ch=1) is pixel (6, 7, 1)
    const expected = (((6 * S + 7) * 3 + 1) / (px.length - 1)) * 2 - 1;
    expect(tok[5 * 48 + (2 * 4 + 3) * 3 + 1]).toBeCloseTo(expected, 6);
    const back = tokensToImages(tok, 1, c);
    for (let i = 0; i < px.length; i++) expect(Math.abs(back[i]! - px[i]!)).toBeLessThan(1e-6);
  });

  it("clamps decoded pixels to [0, 1] and refuses wrong sizes", () => {
    const img = tokensToImages(new Float32Array(16 * 48).fill(3), 1, c);
    expect(img.every((v) => v === 1)).toBe(true);
    expect(() => imagesToTokens(new Float32Array(10), 1, c)).toThrow(/expected 1×16×16×3 values, got 10/);
    expect(() => imagesToTokens(new Float32Array(1), 1, presetConfig("flux-kontext-dev"))).toThrow(/latent space/);
  });
});

describe("tokenizer", () => {
  const c = presetConfig("small");
  it("maps words to fixed ids, unknown to UNK, pads to textMaxWords", () => {
    const ids = tokenize("Raise the LEFT arm, zorblax!", c);
    expect(ids.length).toBe(c.textMaxWords);
    const id = (w: string): number => BUILTIN_VOCABULARY.indexOf(w) + 2;
    expect(Array.from(ids.slice(0, 6))).toEqual([id("raise"), id("the"), id("left"), id("arm"), UNK_ID, PAD_ID]);
    expect(ids.slice(5).every((x) => x === PAD_ID)).toBe(true);
    expect(tokenize("a ".repeat(40), c).every((x) => x === id("a"))).toBe(true);
  });
  it("uses a config's own vocabulary when given", () => {
    const ids = tokenize("turn left", { ...c, vocabulary: ["left", "turn"] });
    expect(Array.from(ids.slice(0, 3))).toEqual([3, 2, 0]);
  });
});

describe("position ids (Kontext)", () => {
  it("text (0,0,0), target (0,h,w), reference (1,h,w)", () => {
    const c = presetConfig("tiny");
    const ids = positionIds(c);
    expect(ids.length).toBe(4 + 2 * 16);
    expect(ids.slice(0, 4)).toEqual(Array(4).fill([0, 0, 0]));
    expect(ids[4 + 6]).toEqual([0, 1, 2]);
    expect(ids[4 + 16 + 6]).toEqual([1, 1, 2]);
  });
});
