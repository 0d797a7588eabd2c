/**
 * Which attributes a portrait shows. An attribute is visible when every other value of it would change
 * the 32 px render by at least VISIBILITY_SSE (sum of squared RGB differences in [0, 1] units; 2 ≈ eight
 * pixels changing by half their range): legs in a close-up, or a forearm outside the frame, are not.
 * Triplets only ask for visible changes, ground-truth metrics only count visible attributes, and the
 * recognizer is scored on them.
 */
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, type AttributeName, type PortraitAttributes } from "./attributes.js";
import { renderPortraitAt } from "./render.js";

export const VISIBILITY_SSE = 2;
const SIZE = 32;

function sse(a: Float32Array, b: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return e;
}

/** Whether attribute `a` of portrait `p` can be told from its other values in the image. */
export function isVisible(a: AttributeName, p: PortraitAttributes, base: Float32Array = renderPortraitAt(p, SIZE, 2)): boolean {
  for (const v of ATTRIBUTE_VALUES[a]) {
    if (v === p[a]) continue;
    if (sse(base, renderPortraitAt({ ...p, [a]: v } as PortraitAttributes, SIZE, 2)) < VISIBILITY_SSE) return false;
  }
  return true;
}

const memo = new Map<string, Set<AttributeName>>();
const MEMO_MAX = 20_000;

/** The set of visible attributes of a portrait (memoised: the same targets are scored again and again). */
export function visibleAttributes(p: PortraitAttributes, among: readonly AttributeName[] = ALL_ATTRIBUTES): Set<AttributeName> {
  const key = ALL_ATTRIBUTES.map((a) => p[a]).join(",");
  let all = memo.get(key);
  if (!all) {
    const base = renderPortraitAt(p, SIZE, 2);
    all = new Set(ALL_ATTRIBUTES.filter((a) => isVisible(a, p, base)));
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, all);
  }
  return new Set(among.filter((a) => all.has(a)));
}
