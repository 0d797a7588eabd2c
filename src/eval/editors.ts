/**
 * The trivial editors that bound every metric (anchors-evaluation §2.2 "useful controls"):
 * copy-the-reference (the copy-paste ceiling: CLIP-I = DINO-I = 1, no edit at all) and oracle-target
 * (the ground-truth photo: what a perfect edit scores).
 */
import { readImage } from "../data/index.js";
import type { Editor } from "./evaluate.js";

/** Returns each reference unchanged. */
export const copyReferenceEditor: Editor = async (references) => references.map((r) => r.slice());

/** Returns each record's target image (records without one are an error). */
export function oracleTargetEditor(size: number): Editor {
  return async (_refs, _instructions, records) =>
    Promise.all(
      records.map((r) => {
        if (!r.targetImage) throw new Error(`oracle editor: record ${r.id} has no target image`);
        return readImage(r.targetImage, size);
      }),
    );
}
