/**
 * The deterministic renderer. Own rasteriser rather than @napi-rs/canvas: every sample is a plain
 * inside-test on doubles (no trigonometry, no GPU/Skia version in the loop), so a render is
 * byte-identical across runs, machines and library upgrades, and the same code gives the recognizer
 * per-slot coverage maps (which canvas cannot) at a fraction of the cost. Anti-aliasing is k×k
 * supersampling with a box filter.
 *
 * Camera: the shot picks the window of the figure that fills the frame (full body, head to knees, head
 * to waist); the position moves the figure to the left or right third.
 */
import type { PortraitAttributes } from "./attributes.js";
import { joints, paints, type FigureJoints, type Shape } from "./figure.js";
import { NUM_SLOTS, SLOT, slotColours } from "./palette.js";

/** Top of the window (world y) and its height, per shot. */
const SHOT_WINDOW: Record<PortraitAttributes["shot"], { y0: number; h: number }> = {
  full: { y0: -8, h: 112 },
  half: { y0: -7, h: 90 },
  close: { y0: -5, h: 68 },
};
/** Horizontal shift of the figure, as a fraction of the window. */
const POSITION_SHIFT: Record<PortraitAttributes["position"], number> = { center: 0, left: -0.22, right: 0.22 };

export interface Camera {
  scale: number;
  ox: number;
  oy: number;
}

/** World → pixel: px = x·scale + ox, py = y·scale + oy. */
export function camera(p: PortraitAttributes, size: number): Camera {
  const w = SHOT_WINDOW[p.shot];
  const scale = size / w.h;
  return { scale, ox: size / 2 + POSITION_SHIFT[p.position] * size, oy: -w.y0 * scale };
}

function toPixels(s: Shape, c: Camera): Shape {
  const k = c.scale;
  switch (s.kind) {
    case "rect":
      return { kind: "rect", x0: s.x0 * k + c.ox, y0: s.y0 * k + c.oy, x1: s.x1 * k + c.ox, y1: s.y1 * k + c.oy };
    case "circle":
      return s.yMax === undefined
        ? { kind: "circle", cx: s.cx * k + c.ox, cy: s.cy * k + c.oy, r: s.r * k }
        : { kind: "circle", cx: s.cx * k + c.ox, cy: s.cy * k + c.oy, r: s.r * k, yMax: s.yMax * k + c.oy };
    case "capsule":
      return { kind: "capsule", ax: s.ax * k + c.ox, ay: s.ay * k + c.oy, bx: s.bx * k + c.ox, by: s.by * k + c.oy, r: s.r * k };
  }
}

function bounds(s: Shape): [number, number, number, number] {
  switch (s.kind) {
    case "rect":
      return [s.x0, s.y0, s.x1, s.y1];
    case "circle":
      return [s.cx - s.r, s.cy - s.r, s.cx + s.r, s.yMax === undefined ? s.cy + s.r : Math.min(s.yMax, s.cy + s.r)];
    case "capsule":
      return [Math.min(s.ax, s.bx) - s.r, Math.min(s.ay, s.by) - s.r, Math.max(s.ax, s.bx) + s.r, Math.max(s.ay, s.by) + s.r];
  }
}

function inside(s: Shape, x: number, y: number): boolean {
  switch (s.kind) {
    case "rect":
      return x >= s.x0 && x < s.x1 && y >= s.y0 && y < s.y1;
    case "circle": {
      if (s.yMax !== undefined && y >= s.yMax) return false;
      const dx = x - s.cx;
      const dy = y - s.cy;
      return dx * dx + dy * dy <= s.r * s.r;
    }
    case "capsule": {
      const vx = s.bx - s.ax;
      const vy = s.by - s.ay;
      const wx = x - s.ax;
      const wy = y - s.ay;
      const vv = vx * vx + vy * vy;
      const t = vv === 0 ? 0 : Math.min(1, Math.max(0, (wx * vx + wy * vy) / vv));
      const dx = wx - t * vx;
      const dy = wy - t * vy;
      return dx * dx + dy * dy <= s.r * s.r;
    }
  }
}

/** Per-pixel coverage of every slot: Float32Array [size, size, NUM_SLOTS], each pixel summing to 1. */
export interface SlotWeights {
  size: number;
  w: Float32Array;
}

/** Rasterise a portrait into slot coverage maps with ss×ss supersampling. */
export function renderWeights(p: PortraitAttributes, size: number, ss = 4): SlotWeights {
  const w = new Float32Array(size * size * NUM_SLOTS);
  renderWeightsInto(p, size, ss, new Uint8Array(size * ss * size * ss), w);
  return { size, w };
}

/** renderWeights into caller-owned buffers (label: (size·ss)² bytes, w: size²·NUM_SLOTS floats). */
export function renderWeightsInto(p: PortraitAttributes, size: number, ss: number, label: Uint8Array, w: Float32Array): void {
  const n = size * ss;
  renderLabelsInto(p, size, ss, label);
  w.fill(0);
  const inc = 1 / (ss * ss);
  for (let j = 0; j < n; j++) {
    const row = Math.floor(j / ss) * size;
    for (let i = 0; i < n; i++) {
      const k = (row + Math.floor(i / ss)) * NUM_SLOTS + (label[j * n + i] ?? 0);
      w[k] = (w[k] ?? 0) + inc;
    }
  }
}

/** The slot of every sample: label[(j·size·ss) + i] for sample row j, column i. */
export function renderLabelsInto(p: PortraitAttributes, size: number, ss: number, label: Uint8Array): void {
  const n = size * ss;
  label.fill(SLOT.background);
  const cam = camera(p, size);
  for (const paint of paints(p)) fillShape(label, n, ss, toPixels(paint.shape, cam), paint.slot);
}

/**
 * The x-interval where the row y meets a capsule (convex, so one interval): the hull of the row's
 * intervals through the two end discs and through the slab around the segment (|cross| ≤ r·|v| and
 * 0 ≤ dot ≤ |v|², both linear in x), written to out[0..1]; false when empty. Only a guide: fillShape
 * trims its ends with the exact test.
 */
function capsuleRow(s: Extract<Shape, { kind: "capsule" }>, y: number, out: Float64Array): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  const r2 = s.r * s.r;
  const ha = r2 - (y - s.ay) * (y - s.ay);
  if (ha >= 0) {
    const h = Math.sqrt(ha);
    lo = s.ax - h;
    hi = s.ax + h;
  }
  const hb = r2 - (y - s.by) * (y - s.by);
  if (hb >= 0) {
    const h = Math.sqrt(hb);
    lo = Math.min(lo, s.bx - h);
    hi = Math.max(hi, s.bx + h);
  }
  const vx = s.bx - s.ax;
  const vy = s.by - s.ay;
  const len = Math.sqrt(vx * vx + vy * vy);
  const wy = y - s.ay;
  // With u = x − ax: dot = u·vx + wy·vy ∈ [0, len²] and cross = u·vy − wy·vx ∈ [−r·len, r·len].
  let a = -Infinity;
  let b = Infinity;
  if (len > 0) {
    for (let k = 0; k < 2; k++) {
      const coef = k === 0 ? vx : vy;
      const off = k === 0 ? wy * vy : -wy * vx;
      const min = k === 0 ? 0 : -s.r * len;
      const max = k === 0 ? len * len : s.r * len;
      if (coef === 0) {
        if (off < min || off > max) a = Infinity;
        continue;
      }
      const t0 = (min - off) / coef;
      const t1 = (max - off) / coef;
      a = Math.max(a, Math.min(t0, t1));
      b = Math.min(b, Math.max(t0, t1));
    }
    if (a <= b) {
      lo = Math.min(lo, s.ax + a);
      hi = Math.max(hi, s.ax + b);
    }
  }
  out[0] = lo;
  out[1] = hi;
  return lo <= hi;
}

/**
 * Set every sample (centre ((i+0.5)/ss, (j+0.5)/ss) in pixels) inside the shape to `slot`. Every shape
 * is convex, so each row is one span: exact integers for rectangles, else found from an analytic guess
 * by the exact inside-test at its ends, then filled.
 */
function fillShape(label: Uint8Array, n: number, ss: number, s: Shape, slot: number): void {
  if (s.kind === "rect") {
    // (k + 0.5)/ss ≥ v ⟺ k ≥ v·ss − 0.5 exactly (ss is a power of two), so the spans are exact integers.
    const i0 = Math.max(0, Math.ceil(s.x0 * ss - 0.5));
    const i1 = Math.min(n, Math.ceil(s.x1 * ss - 0.5));
    const j0 = Math.max(0, Math.ceil(s.y0 * ss - 0.5));
    const j1 = Math.min(n, Math.ceil(s.y1 * ss - 0.5));
    if (i0 < i1) for (let j = j0; j < j1; j++) label.fill(slot, j * n + i0, j * n + i1);
    return;
  }
  const [, by0, , by1] = bounds(s);
  const j0 = Math.max(0, Math.floor(by0 * ss - 0.5));
  const j1 = Math.min(n - 1, Math.ceil(by1 * ss));
  const span = SPAN;
  for (let j = j0; j <= j1; j++) {
    const y = (j + 0.5) / ss;
    let lo: number, hi: number;
    if (s.kind === "capsule") {
      if (!capsuleRow(s, y, span)) continue;
      lo = span[0] ?? 0;
      hi = span[1] ?? 0;
    } else {
      const dy = y - s.cy;
      const h2 = s.r * s.r - dy * dy;
      if (h2 < 0 || (s.yMax !== undefined && y >= s.yMax)) continue;
      const hw = Math.sqrt(h2);
      lo = s.cx - hw;
      hi = s.cx + hw;
    }
    let i = Math.max(0, Math.floor(lo * ss - 0.5) - 1);
    const iEnd = Math.min(n - 1, Math.ceil(hi * ss) + 1);
    while (i <= iEnd && !inside(s, (i + 0.5) / ss, y)) i++;
    let k = iEnd;
    while (k >= i && !inside(s, (k + 0.5) / ss, y)) k--;
    if (k >= i) label.fill(slot, j * n + i, j * n + k + 1);
  }
}
const SPAN = new Float64Array(2);

/** Mix slot colours ([NUM_SLOTS, 3]) by coverage: [size, size, 3] RGB in [0, 1]. */
export function compose(weights: SlotWeights, colours: Float32Array): Float32Array {
  const { size, w } = weights;
  const out = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    let r = 0, g = 0, b = 0;
    for (let s = 0; s < NUM_SLOTS; s++) {
      const a = w[p * NUM_SLOTS + s] ?? 0;
      if (a === 0) continue;
      r += a * (colours[s * 3] ?? 0);
      g += a * (colours[s * 3 + 1] ?? 0);
      b += a * (colours[s * 3 + 2] ?? 0);
    }
    out[p * 3] = r;
    out[p * 3 + 1] = g;
    out[p * 3 + 2] = b;
  }
  return out;
}

/** Render a portrait: [size, size, 3] RGB in [0, 1] (4×4 supersampled). */
export function renderPortrait(p: PortraitAttributes, size: number): Float32Array {
  return renderPortraitAt(p, size, 4);
}

/** Render with ss×ss supersampling. */
export function renderPortraitAt(p: PortraitAttributes, size: number, ss: number): Float32Array {
  return compose(renderWeights(p, size, ss), slotColours(p));
}

/**
 * The figure region of a portrait: a [size, size] mask, 1 where the person (not the background) covers
 * at least half of the pixel (4×4 supersampled). Evaluation reads it from the exact target's attributes.
 */
export function figureMask(p: PortraitAttributes, size: number): Uint8Array {
  const { w } = renderWeights(p, size, 4);
  const mask = new Uint8Array(size * size);
  for (let i = 0; i < mask.length; i++) mask[i] = (w[i * NUM_SLOTS + SLOT.background] ?? 0) <= 0.5 ? 1 : 0;
  return mask;
}

export type Keypoint = [number, number, number];
const COCO_ORDER: (keyof FigureJoints)[] = [
  "nose", "leftEye", "rightEye", "leftEar", "rightEar", "leftShoulder", "rightShoulder", "leftElbow", "rightElbow",
  "leftWrist", "rightWrist", "leftHip", "rightHip", "leftKnee", "rightKnee", "leftAnkle", "rightAnkle",
];

/**
 * The 17 COCO keypoints [x, y, v] in pixels (centres at +0.5). v = 2 visible, 1 in frame but hidden
 * (the far ear of a turned head), 0 out of frame.
 */
export function keypoints(p: PortraitAttributes, size: number): Keypoint[] {
  const j = joints(p);
  const c = camera(p, size);
  return COCO_ORDER.map((name) => {
    const [x, y] = j[name];
    const px = x * c.scale + c.ox;
    const py = y * c.scale + c.oy;
    const inFrame = px >= 0 && px < size && py >= 0 && py < size;
    const hidden = (name === "leftEar" && p.head === "left") || (name === "rightEar" && p.head === "right");
    const r = (v: number): number => Math.round(v * 1000) / 1000;
    return [r(px), r(py), inFrame ? (hidden ? 1 : 2) : 0];
  });
}
