/**
 * Object Keypoint Similarity, the COCO formula (anchors-evaluation §6.1; `pycocotools/cocoeval.py` computeOks):
 *   OKS = Σ_i exp(−d_i² / (2·s²·k_i²))·δ(v_i > 0) / Σ_i δ(v_i > 0),   k_i = 2σ_i,  s² = object area.
 *
 * Sigmas for the synthetic skeleton: the benchmark draws the 17 COCO joints (nose, eyes, ears, shoulders,
 * elbows, wrists, hips, knees, ankles, in COCO order), so we use COCO's per-keypoint σ unchanged. They encode
 * how precisely each joint can be placed (eyes tight, hips loose), which holds for a drawn figure too.
 * Area: COCO uses the annotated segment area; our records carry keypoints only, so s² defaults to the area of
 * the bounding box of the ground truth's visible keypoints (floored at 1 px²). No translation/scale alignment:
 * layout and zoom (shot, position) are part of what the instruction asks for.
 */

/** One keypoint: [x, y, visibility] in pixels; visibility 0 = not labelled / not visible. */
type Keypoint = readonly [number, number, number];

/** COCO σ for nose, l/r eye, l/r ear, l/r shoulder, l/r elbow, l/r wrist, l/r hip, l/r knee, l/r ankle. */
export const COCO_SIGMAS: readonly number[] = [
  0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89,
].map((s) => s / 10);

/** Area of the bounding box of the visible keypoints, floored at 1 (a degenerate box would make OKS 0/0). */
export function keypointBoxArea(kps: readonly Keypoint[]): number {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y, v] of kps) {
    if (v <= 0) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  if (x0 === Infinity) return 1;
  return Math.max(1, (x1 - x0) * (y1 - y0));
}

export interface OksOptions {
  /** Per-keypoint σ; defaults to COCO_SIGMAS (17 keypoints). */
  sigmas?: readonly number[];
  /** s², the object area; defaults to keypointBoxArea(groundTruth). */
  area?: number;
}

/**
 * OKS of `predicted` against `groundTruth` (the ground truth's visibility selects the keypoints).
 * NaN when the ground truth has no visible keypoint (undefined, never a made-up score).
 */
export function oks(predicted: readonly Keypoint[], groundTruth: readonly Keypoint[], opts: OksOptions = {}): number {
  const sigmas = opts.sigmas ?? COCO_SIGMAS;
  if (predicted.length !== groundTruth.length || groundTruth.length !== sigmas.length) {
    throw new Error(`oks: ${predicted.length} predicted, ${groundTruth.length} ground-truth keypoints, ${sigmas.length} sigmas`);
  }
  const area = opts.area ?? keypointBoxArea(groundTruth);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < groundTruth.length; i++) {
    const [xg, yg, vg] = groundTruth[i] as Keypoint;
    if (vg <= 0) continue;
    const [xd, yd] = predicted[i] as Keypoint;
    const k = 2 * (sigmas[i] as number);
    const d2 = (xd - xg) ** 2 + (yd - yg) ** 2;
    sum += Math.exp(-d2 / (2 * area * k * k));
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}
