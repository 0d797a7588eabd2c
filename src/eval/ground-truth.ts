/**
 * Ground truth on the synthetic benchmark, independent of any judge (issue 6): the generated image's
 * attributes are read back by the benchmark's recognizer (argmax) and compared with the record's
 * attributes; keypoints are rendered from the recognised attributes.
 *   gt_pose   = share of the requested pose/camera changes the generated image shows (target value);
 *   gt_detail = Σ_a w_a·[gen_a = ref_a] / Σ_a w_a over identity attributes a (DETAIL_WEIGHTS);
 *   gt_oks    = OKS(keypoints(gen), target keypoints)                      (metrics/oks.ts);
 *   copy_paste = OKS(gen, ref keypoints) > OKS(gen, target keypoints)      (metrics/copy-paste.ts).
 * An attribute the recognizer cannot read back from the ground-truth image itself (hidden, e.g. hair style
 * under a hat, or an ambiguous render) is left out of gt_detail / gt_pose: it cannot be judged from pixels.
 */
import {
  DETAIL_WEIGHTS, IDENTITY_ATTRIBUTES, keypoints, type AttributeName, type PortraitAttributes, type RecordAttributes,
} from "../data/index.js";
import { recognizeDetailed } from "../data/recognizer.js";
import { copyPaste } from "./metrics/copy-paste.js";
import { oks, type Keypoint } from "./metrics/oks.js";

export interface GroundTruthScores {
  gt_pose: number | null;
  gt_oks: number | null;
  gt_detail: number | null;
  copy_paste: boolean | null;
}

export const NO_GROUND_TRUTH: GroundTruthScores = { gt_pose: null, gt_oks: null, gt_detail: null, copy_paste: null };

/** The most probable attributes of a [size, size, 3] image in [0, 1]. */
export function readAttributes(pixels: Float32Array, size: number): PortraitAttributes {
  return recognizeDetailed(pixels, size).argmax;
}

/** Weighted share of `names` where `got` equals `want`, among those `readable`; null when none is. */
function share(names: readonly AttributeName[], want: PortraitAttributes, got: PortraitAttributes, readable: PortraitAttributes, weight: (a: AttributeName) => number): number | null {
  let num = 0;
  let den = 0;
  for (const a of names) {
    if (readable[a] !== want[a]) continue;
    den += weight(a);
    if (got[a] === want[a]) num += weight(a);
  }
  return den > 0 ? num / den : null;
}

export interface GroundTruthInput {
  /** Attributes recognised in the generated image. */
  generated: PortraitAttributes;
  /** Attributes recognised in the record's reference and target images (what pixels can show). */
  referenceRead: PortraitAttributes;
  targetRead: PortraitAttributes;
  truth: RecordAttributes;
  /** Image side the keypoints are in (the record's `size`). */
  size: number;
}

/** The ground-truth scores of one generated image. */
export function groundTruthScores(g: GroundTruthInput): GroundTruthScores {
  const { truth } = g;
  const requested = Object.keys(truth.changes) as AttributeName[];
  const gt_pose = requested.length === 0 ? null : share(requested, truth.target, g.generated, g.targetRead, () => 1);
  const gt_detail = share(IDENTITY_ATTRIBUTES, truth.reference, g.generated, g.referenceRead, (a) => DETAIL_WEIGHTS[a as keyof typeof DETAIL_WEIGHTS]);
  const size = truth.size ?? g.size;
  const genKps = keypoints(g.generated, size) as Keypoint[];
  const tgtKps = truth.targetKeypoints as Keypoint[] | undefined;
  const refKps = truth.referenceKeypoints as Keypoint[] | undefined;
  const o = tgtKps ? oks(genKps, tgtKps) : Number.NaN;
  const cp = tgtKps && refKps ? copyPaste(genKps, refKps, tgtKps).copied : null;
  return { gt_pose, gt_oks: Number.isFinite(o) ? o : null, gt_detail, copy_paste: cp };
}
