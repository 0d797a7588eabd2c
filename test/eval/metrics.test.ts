import { describe, expect, it } from "vitest";
import { ATTRIBUTE_VALUES, COCO_SIGMAS, keypointBoxArea, keypoints, oks, type PortraitAttributes } from "../../src/data/index.js";
import { cosine as cosineSimilarity } from "../../src/reward/embedder.js";

type Keypoint = readonly [number, number, number];

describe("cosineSimilarity", () => {
  it("matches hand-computed values", () => {
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / (Math.sqrt(14) * Math.sqrt(77)), 12);
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(0.9746318461970762, 12);
    expect(cosineSimilarity([3, 4], [-6, -8])).toBeCloseTo(-1, 12);
    expect(cosineSimilarity(new Float32Array([2, 0, 0]), new Float32Array([5, 5, 0]))).toBeCloseTo(Math.SQRT1_2, 6);
  });
  it("is scale invariant and NaN for a zero vector", () => {
    expect(cosineSimilarity([1, 2, 3], [10, 20, 30])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([0, 0], [1, 2])).toBeNaN();
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/length/);
  });
});

/** A standing figure: 17 COCO keypoints, all visible; their bounding box is 14×37 px. */
function skeleton(dx = 0, dy = 0): Keypoint[] {
  const pts: [number, number][] = [
    [10, 4], [9, 3], [11, 3], [8, 4], [12, 4], // nose, eyes, ears
    [6, 10], [14, 10], [4, 16], [16, 16], [3, 22], [17, 22], // shoulders, elbows, wrists
    [7, 24], [13, 24], [7, 32], [13, 32], [7, 40], [13, 40], // hips, knees, ankles
  ];
  return pts.map(([x, y]) => [x + dx, y + dy, 2] as const);
}

describe("oks (COCO formula)", () => {
  it("uses COCO sigmas for the 17-keypoint skeleton", () => {
    expect(COCO_SIGMAS).toHaveLength(17);
    expect(COCO_SIGMAS[0]).toBeCloseTo(0.026, 12);
    expect(COCO_SIGMAS[9]).toBeCloseTo(0.062, 12);
  });
  it("is 1 for identical keypoints", () => {
    expect(oks(skeleton(), skeleton())).toBe(1);
  });
  it("matches a hand computation for one displaced keypoint", () => {
    const gt = skeleton();
    const pred = skeleton();
    pred[0] = [gt[0]![0] + 1, gt[0]![1], 2];
    // nose σ = .026, k = .052, s² = 100: exp(−1 / (2·100·.052²)) = exp(−1.8491124) = 0.1573767879
    expect(oks(pred, gt, { area: 100 })).toBeCloseTo((16 + 0.1573767878817672) / 17, 12);
    const pred2 = skeleton();
    pred2[9] = [gt[9]![0], gt[9]![1] + 3, 2];
    // right wrist σ = .062, k = .124, d² = 9, s² = 400: exp(−0.7316597) = 0.4811098149
    expect(oks(pred2, gt, { area: 400 })).toBeCloseTo((16 + 0.4811098149385813) / 17, 12);
  });
  it("defaults the area to the ground truth's keypoint box and ignores invisible keypoints", () => {
    const gt = skeleton();
    expect(keypointBoxArea(gt)).toBe(14 * 37);
    const pred = skeleton();
    pred[0] = [gt[0]![0] + 2, gt[0]![1], 2];
    const k = 0.052;
    const expected = (16 + Math.exp(-4 / (2 * 14 * 37 * k * k))) / 17;
    expect(oks(pred, gt)).toBeCloseTo(expected, 12);
    const hidden = gt.map((p, i) => (i === 0 ? ([p[0], p[1], 0] as const) : p));
    expect(oks(pred, hidden, { area: 518 })).toBe(1);
    expect(oks(pred, gt.map((p) => [p[0], p[1], 0] as const))).toBeNaN();
  });
  it("decreases with displacement and rejects mismatched lengths", () => {
    const gt = skeleton();
    const a = oks(skeleton(1, 0), gt);
    const b = oks(skeleton(3, 0), gt);
    expect(a).toBeLessThan(1);
    expect(b).toBeLessThan(a);
    expect(() => oks(gt.slice(1), gt)).toThrow(/keypoints/);
  });
});

describe("OKS on the benchmark's own skeleton (data/render keypoints, COCO order)", () => {
  it("is 1 for the target and below 1 for the reference, across pose and camera edits", () => {
    const base = Object.fromEntries(Object.entries(ATTRIBUTE_VALUES).map(([k, v]) => [k, v[0]])) as PortraitAttributes;
    const edits: Partial<PortraitAttributes>[] = [
      { rightArm: "up", leftArm: "out" },
      { body: "left", position: "right" },
      { shot: "close", head: "left" },
      { legs: "apart", shot: "half" },
    ];
    for (const edit of edits) {
      const ref = keypoints(base, 32);
      const tgt = keypoints({ ...base, ...edit }, 32);
      expect(ref).toHaveLength(COCO_SIGMAS.length);
      expect(oks(tgt, tgt)).toBe(1);
      expect(oks(ref, tgt)).toBeLessThan(1);
    }
  });
});
