import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, type PortraitAttributes } from "../../src/data/attributes.js";
import { paints, type Shape } from "../../src/data/figure.js";
import { NUM_SLOTS, SLOT, slotColours } from "../../src/data/palette.js";
import { camera, compose, keypoints, renderPortrait, renderWeights } from "../../src/data/render.js";
import { Rng } from "../../src/data/rng.js";
import { sampleIdentity, samplePortrait } from "../../src/data/triplets.js";

const BASE: PortraitAttributes = {
  skin: "tan", hairColor: "red", hairStyle: "short", topColor: "blue", topPattern: "stripes", trousers: "khaki",
  accessory: "glasses", background: "mint", rightArm: "down", leftArm: "out", head: "front", legs: "apart",
  body: "front", shot: "full", position: "center",
};

/** Brute force: every sample tested against every shape in painter's order (the definition of a render). */
function referenceLabels(p: PortraitAttributes, size: number, ss: number): Uint8Array {
  const n = size * ss;
  const out = new Uint8Array(n * n).fill(SLOT.background);
  const c = camera(p, size);
  const inside = (s: Shape, x: number, y: number): boolean => {
    const X = (v: number): number => v * c.scale + c.ox;
    const Y = (v: number): number => v * c.scale + c.oy;
    if (s.kind === "rect") return x >= X(s.x0) && x < X(s.x1) && y >= Y(s.y0) && y < Y(s.y1);
    if (s.kind === "circle") {
      if (s.yMax !== undefined && y >= Y(s.yMax)) return false;
      return (x - X(s.cx)) ** 2 + (y - Y(s.cy)) ** 2 <= (s.r * c.scale) ** 2;
    }
    const ax = X(s.ax), ay = Y(s.ay), vx = X(s.bx) - ax, vy = Y(s.by) - ay;
    const vv = vx * vx + vy * vy;
    const t = vv === 0 ? 0 : Math.min(1, Math.max(0, ((x - ax) * vx + (y - ay) * vy) / vv));
    return (x - ax - t * vx) ** 2 + (y - ay - t * vy) ** 2 <= (s.r * c.scale) ** 2;
  };
  for (const paint of paints(p)) {
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) if (inside(paint.shape, (i + 0.5) / ss, (j + 0.5) / ss)) out[j * n + i] = paint.slot;
  }
  return out;
}

describe("renderer", () => {
  it("span rasteriser agrees with the brute-force per-sample definition (coverage of every slot)", () => {
    const rng = new Rng(3);
    for (let k = 0; k < 30; k++) {
      const p = samplePortrait(sampleIdentity(rng), rng);
      const ss = k % 3 === 0 ? 4 : 2;
      const n = 32 * ss;
      const lab = referenceLabels(p, 32, ss);
      const want = new Float32Array(32 * 32 * NUM_SLOTS);
      for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) want[(((j / ss) | 0) * 32 + ((i / ss) | 0)) * NUM_SLOTS + (lab[j * n + i] ?? 0)]! += 1 / (ss * ss);
      expect(Array.from(renderWeights(p, 32, ss).w)).toEqual(Array.from(want));
    }
  });

  it("coverage sums to 1 per pixel and composes to the slot colours", () => {
    const w = renderWeights(BASE, 32, 4);
    for (let q = 0; q < 32 * 32; q++) {
      let s = 0;
      for (let k = 0; k < NUM_SLOTS; k++) s += w.w[q * NUM_SLOTS + k]!;
      expect(s).toBeCloseTo(1, 6);
    }
    const img = compose(w, slotColours(BASE));
    // Top-left corner is pure background.
    const bg = slotColours(BASE).slice(0, 3);
    expect(Array.from(img.slice(0, 3))).toEqual(Array.from(bg));
  });

  it("is deterministic: the same attributes give identical bytes", () => {
    const h = (x: Float32Array): string => createHash("sha256").update(Buffer.from(x.buffer)).digest("hex");
    expect(h(renderPortrait(BASE, 32))).toBe(h(renderPortrait({ ...BASE }, 32)));
    expect(h(renderPortrait(BASE, 64))).toBe(h(renderPortrait({ ...BASE }, 64)));
  });

  it("every value of every attribute changes the image of a full-shot portrait", () => {
    const base = renderPortrait(BASE, 32);
    for (const a of ALL_ATTRIBUTES) {
      for (const v of ATTRIBUTE_VALUES[a]) {
        if (v === BASE[a]) continue;
        const img = renderPortrait({ ...BASE, [a]: v } as PortraitAttributes, 32);
        let d = 0;
        for (let i = 0; i < img.length; i++) d += (img[i]! - base[i]!) ** 2;
        expect(d, `${a}=${v}`).toBeGreaterThan(0.5);
      }
    }
  });

  it("keypoints: hand-computed golden values for a full, centred shot", () => {
    // Full shot: window y0 = −8, height 112 → scale 32/112, ox = 16, oy = 8·scale.
    const s = 32 / 112;
    const kp = keypoints(BASE, 32);
    expect(kp).toHaveLength(17);
    // Nose at world (0, 14.5); left shoulder at (13 − 1.5, 26.5); left ankle (legs apart) at (15, 94).
    expect(kp[0]![0]).toBeCloseTo(16, 3);
    expect(kp[0]![1]).toBeCloseTo((14.5 + 8) * s, 3);
    expect(kp[5]![0]).toBeCloseTo(16 + 11.5 * s, 3);
    expect(kp[5]![1]).toBeCloseTo((26.5 + 8) * s, 3);
    expect(kp[15]![0]).toBeCloseTo(16 + 15 * s, 3);
    expect(kp[15]![1]).toBeCloseTo((94 + 8) * s, 3);
    expect(kp.every((k) => k[2] === 2)).toBe(true);
    // A close-up crops the legs: ankles out of frame.
    const close = keypoints({ ...BASE, shot: "close" }, 32);
    expect(close[15]![2]).toBe(0);
    expect(close[16]![2]).toBe(0);
  });
});
