/**
 * Ground truth on the synthetic benchmark, independent of any judge (issue 6), in the eval folder's
 * terms. The scoring itself is the benchmark's (`scoreEdit` in data/ground-truth.ts, the same one
 * `data stats` reports): the generated image's attributes are read back by the recognizer and
 * compared with the record's; gt_oks uses keypoints of the recognised attributes against the
 * target's; copy_paste = more requested attributes still show their reference value than their target.
 */
import { scoreEdit, type DatasetRecord } from "../data/index.js";

export interface GroundTruthScores {
  gt_pose: number | null;
  gt_oks: number | null;
  gt_detail: number | null;
  copy_paste: boolean | null;
}

export const NO_GROUND_TRUTH: GroundTruthScores = { gt_pose: null, gt_oks: null, gt_detail: null, copy_paste: null };

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The ground-truth scores of one generated [size, size, 3] image; none for a record without attributes. */
export function groundTruthScores(generated: Float32Array, record: DatasetRecord, size: number): GroundTruthScores {
  if (!record.attributes) return NO_GROUND_TRUTH;
  const s = scoreEdit(generated, record, size);
  const poseRequested = Number.isFinite(s.gtPose);
  return { gt_pose: finite(s.gtPose), gt_oks: finite(s.oks), gt_detail: finite(s.gtDetail), copy_paste: poseRequested ? s.copyPaste : null };
}
