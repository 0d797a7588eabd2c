/**
 * The copy-paste indicator on keypoints (anchors-evaluation §6.1, §2.2): a generated image "copies" when its
 * pose is closer to the reference's than to the target's, i.e. OKS(G, R) > OKS(G, T). Each OKS is taken
 * against its own ground truth (R's or T's visibility and area). Copying the reference gives OKS(G,R) = 1 and
 * is flagged whenever the target differs; the oracle (G = T) gives OKS(G,T) = 1 and never is.
 */
import { oks, type Keypoint, type OksOptions } from "./oks.js";

export interface CopyPasteResult {
  /** OKS(G, R) − OKS(G, T); > 0 means closer to the reference. NaN when either OKS is undefined. */
  margin: number;
  /** margin > 0; null when the margin is NaN. */
  copied: boolean | null;
}

export function copyPaste(
  generated: readonly Keypoint[],
  reference: readonly Keypoint[],
  target: readonly Keypoint[],
  opts: Pick<OksOptions, "sigmas"> = {},
): CopyPasteResult {
  const margin = oks(generated, reference, opts) - oks(generated, target, opts);
  return { margin, copied: Number.isNaN(margin) ? null : margin > 0 };
}
