import { describe, expect, it } from "vitest";
import { ALL_ATTRIBUTES, groupOf, type PortraitAttributes } from "../../src/data/attributes.js";
import { addNoise, degrade, gaussianBlur } from "../../src/data/degrade.js";
import { scoreEdit } from "../../src/data/ground-truth.js";
import { COCO_SIGMAS, oks } from "../../src/data/oks.js";
import { toBytes } from "../../src/data/image-io.js";
import { recognize, recognizeDetailed } from "../../src/data/recognizer.js";
import { keypoints, renderPortrait } from "../../src/data/render.js";
import { Rng } from "../../src/data/rng.js";
import { sampleIdentity, samplePortrait, sampleTriplet } from "../../src/data/triplets.js";
import { visibleAttributes } from "../../src/data/visibility.js";

const png = (p: PortraitAttributes, size = 32): Float32Array => Float32Array.from(toBytes(renderPortrait(p, size), size), (b) => b / 255);

/** Accuracy per group over visible attributes, and the mean top probability. */
function score(images: { truth: PortraitAttributes; img: Float32Array }[], size = 32) {
  const ok: Record<string, [number, number]> = {};
  let conf = 0;
  let n = 0;
  for (const { truth, img } of images) {
    const d = recognize(img, size);
    const vis = visibleAttributes(truth);
    for (const a of ALL_ATTRIBUTES) {
      if (!vis.has(a)) continue;
      const row = d[a] as Record<string, number>;
      const sum = Object.values(row).reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(1, 9);
      const [best, p] = Object.entries(row).reduce((m, e) => (e[1] > m[1] ? e : m));
      const g = (ok[groupOf(a)] ??= [0, 0]);
      g[0] += best === truth[a] ? 1 : 0;
      g[1] += 1;
      conf += p;
      n++;
    }
  }
  return { acc: Object.fromEntries(Object.entries(ok).map(([k, [a, m]]) => [k, a / m])), conf: conf / n };
}

describe("recognizer", () => {
  const rng = new Rng(2024);
  const truths = Array.from({ length: 40 }, () => samplePortrait(sampleIdentity(rng), rng));
  const clean = truths.map((truth) => ({ truth, img: png(truth) }));
  const noisy = clean.map(({ truth, img }) => ({ truth, img: degrade(img, 32, rng) }));

  it("is ≥ 98% accurate per group on clean renders and ≥ 85% with blur σ 1 + noise 0.1, and less confident there", () => {
    const c = score(clean);
    const d = score(noisy);
    for (const g of ["identity", "pose", "camera"]) {
      expect(c.acc[g], `clean ${g}`).toBeGreaterThanOrEqual(0.98);
      expect(d.acc[g], `degraded ${g}`).toBeGreaterThanOrEqual(0.85);
    }
    expect(d.conf).toBeLessThan(c.conf);
  });

  it("gives a uniform distribution to an attribute out of frame (legs in a close-up)", () => {
    const p = { ...truths[0]!, shot: "close", body: "front" } as PortraitAttributes;
    const same = (["together", "apart", "lifted"] as const).map((legs) => png({ ...p, legs }).join());
    expect(new Set(same).size).toBe(1);
    const legs = Object.values(recognize(png(p), 32).legs);
    for (const v of legs) expect(v).toBeCloseTo(1 / legs.length, 6);
  });

  it("gives the same answer whatever was recognised before (caches change only the time)", () => {
    const r = new Rng(555);
    const fresh = degrade(png(samplePortrait(sampleIdentity(r), r)), 32, r);
    const first = recognizeDetailed(fresh, 32);
    for (const { img } of noisy.slice(3, 8)) recognize(img, 32);
    expect(recognizeDetailed(fresh, 32)).toEqual(first);
  });

  it("reads 64 px images like 32 px ones", () => {
    const p = truths[1]!;
    expect(recognizeDetailed(png(p, 64), 64).argmax).toEqual(recognizeDetailed(png(p, 32), 32).argmax);
  });

  it("reads 16 px renders (the tiny model's size) by pixel replication: ≥ 90% identity, ≥ 95% pose and camera", () => {
    const s = score(truths.map((truth) => ({ truth, img: png(truth, 16) })), 16);
    expect(s.acc.identity).toBeGreaterThanOrEqual(0.9);
    expect(s.acc.pose).toBeGreaterThanOrEqual(0.95);
    expect(s.acc.camera).toBeGreaterThanOrEqual(0.95);
    expect(() => recognize(new Float32Array(24 * 24 * 3), 24)).toThrow(/not a multiple or a divisor of 32/);
  });
});

describe("ground-truth edit metrics", () => {
  it("OKS: 1 for identical keypoints, hand-computed value for one displaced keypoint", () => {
    const kp = keypoints(samplePortrait(sampleIdentity(new Rng(1)), new Rng(2)), 32).map((k) => [k[0], k[1], 2] as [number, number, number]);
    expect(oks(kp, kp)).toBeCloseTo(1, 12);
    const moved = kp.map((k, i) => (i === 0 ? ([k[0] + 2, k[1], 2] as [number, number, number]) : k));
    const area = 100;
    const k0 = 2 * COCO_SIGMAS[0]!;
    expect(oks(moved, kp, { area })).toBeCloseTo((16 + Math.exp(-4 / (2 * area * k0 * k0))) / 17, 12);
  });

  it("copy-the-reference: detail ≈ 1, pose following ≈ 0, flagged copy-paste; oracle target: ≈ 1 on both", () => {
    const rng = new Rng(99);
    let copyPose = 0, copyDetail = 0, copyFlag = 0, orPose = 0, orDetail = 0, orOks = 0;
    const n = 12;
    for (let i = 0; i < n; i++) {
      const t = sampleTriplet(sampleIdentity(rng), rng);
      const record = { id: `r${i}`, attributes: { reference: t.reference, target: t.target, changes: t.changes } };
      const c = scoreEdit(png(t.reference), record, 32);
      const o = scoreEdit(png(t.target), record, 32);
      copyPose += c.gtPose / n;
      copyDetail += c.gtDetail / n;
      copyFlag += (c.copyPaste ? 1 : 0) / n;
      orPose += o.gtPose / n;
      orDetail += o.gtDetail / n;
      orOks += o.oks / n;
      expect(o.copyPaste).toBe(false);
    }
    expect(copyDetail).toBeGreaterThanOrEqual(0.95);
    expect(copyPose).toBeLessThanOrEqual(0.1);
    expect(copyFlag).toBeGreaterThanOrEqual(0.9);
    expect(orPose).toBeGreaterThanOrEqual(0.95);
    expect(orDetail).toBeGreaterThanOrEqual(0.95);
    expect(orOks).toBeGreaterThanOrEqual(0.95);
  });
});

describe("degradations", () => {
  it("blur keeps a constant image constant and conserves the mean away from borders", () => {
    const c = new Float32Array(32 * 32 * 3).fill(0.3);
    expect(Math.max(...gaussianBlur(c, 32, 3, 1).map((v) => Math.abs(v - 0.3)))).toBeLessThan(1e-6);
    const dot = new Float32Array(32 * 32);
    dot[16 * 32 + 16] = 1;
    expect(gaussianBlur(dot, 32, 1, 1).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it("noise has the requested standard deviation (mid-grey, so nothing is clamped)", () => {
    const g = new Float32Array(20000).fill(0.5);
    const x = addNoise(g, 0.1, new Rng(3));
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeGreaterThan(0.095);
    expect(sd).toBeLessThan(0.105);
  });
});
