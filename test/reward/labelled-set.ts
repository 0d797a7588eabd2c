/**
 * A labelled set of edits of varied quality for the synthetic judge: each generated image is a render of
 * a mixture of reference and target attributes (requested changes followed with probability p_follow,
 * identity attributes kept with probability p_detail, a few untouched pose attributes drifting), some
 * exact copies of the reference, some blurred and noisy. Two ground truths: the benchmark's metrics
 * (scoreEdit: gtDetail, gtPose, read from the image by the recognizer) and the exact attributes that
 * were rendered.
 */
import {
  ATTRIBUTE_VALUES, DETAIL_WEIGHTS, EDITABLE_ATTRIBUTES, IDENTITY_ATTRIBUTES, Rng, degrade, renderPortrait, scoreEdit, visibleAttributes, writeInstruction,
} from "../../src/data/index.js";
import type { AttributeChanges, AttributeName, PortraitAttributes } from "../../src/data/index.js";
import { sampleIdentity, sampleTriplet } from "../../src/data/triplets.js";
import type { Image } from "../../src/reward/index.js";

export interface LabelledEdit {
  reference: Image;
  generated: Image;
  instruction: string;
  copy: boolean;
  degraded: boolean;
  /** scoreEdit's gtDetail and gtPose. */
  dp: number;
  pf: number;
  /** From the rendered attributes: weighted share of the identity attributes kept (visible in both images), share of the requested changes achieved. */
  dpAttr: number;
  pfAttr: number;
}

const other = (rng: Rng, a: AttributeName, not: string): string => rng.pick((ATTRIBUTE_VALUES[a] as readonly string[]).filter((v) => v !== not));

export function groundTruth(ref: PortraitAttributes, target: PortraitAttributes, changes: AttributeChanges, gen: PortraitAttributes): { dp: number; pf: number } {
  const seen = visibleAttributes(ref, IDENTITY_ATTRIBUTES);
  const seenGen = visibleAttributes(gen, IDENTITY_ATTRIBUTES);
  let w = 0;
  let kept = 0;
  for (const a of IDENTITY_ATTRIBUTES) {
    if (!seen.has(a) || !seenGen.has(a)) continue;
    w += DETAIL_WEIGHTS[a];
    if (gen[a] === ref[a]) kept += DETAIL_WEIGHTS[a];
  }
  const req = Object.keys(changes) as (keyof AttributeChanges)[];
  const done = req.filter((a) => gen[a] === target[a]).length;
  return { dp: w > 0 ? kept / w : 1, pf: done / req.length };
}

export function labelledSet(n: number, seed: number, size = 32): LabelledEdit[] {
  const rng = new Rng(seed);
  const out: LabelledEdit[] = [];
  const img = (p: Float32Array): Image => ({ kind: "rgb", data: p, width: size, height: size });
  for (let i = 0; i < n; i++) {
    const { reference, target, changes } = sampleTriplet(sampleIdentity(rng), rng);
    const instruction = writeInstruction(changes, rng, false);
    const copy = rng.next() < 0.06;
    const gen: Record<string, string> = { ...reference };
    if (!copy) {
      const pFollow = rng.next();
      const pDetail = rng.next();
      for (const a of EDITABLE_ATTRIBUTES) {
        const t = (changes as Record<string, string>)[a];
        if (t !== undefined) gen[a] = rng.next() < pFollow ? t : rng.next() < 0.7 ? reference[a] : other(rng, a, t);
        else if (rng.next() < 0.08) gen[a] = other(rng, a, reference[a]);
      }
      for (const a of IDENTITY_ATTRIBUTES) if (rng.next() > pDetail) gen[a] = other(rng, a, reference[a]);
    }
    const g = gen as PortraitAttributes;
    let pixels = renderPortrait(g, size);
    const degraded = rng.next() < 0.3;
    if (degraded) pixels = degrade(pixels, size, rng, rng.pick([0.5, 1]), rng.pick([0.03, 0.08]));
    const metrics = scoreEdit(pixels, { id: String(i), attributes: { reference, target, changes } }, size);
    const exact = groundTruth(reference, target, changes, g);
    out.push({
      reference: img(renderPortrait(reference, size)), generated: img(pixels), instruction, copy, degraded,
      dp: metrics.gtDetail, pf: metrics.gtPose, dpAttr: exact.dp, pfAttr: exact.pf,
    });
  }
  return out;
}

/** Spearman's rank correlation (average ranks for ties). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const rank = (v: readonly number[]): number[] => {
    const idx = v.map((_, i) => i).sort((a, b) => (v[a] as number) - (v[b] as number));
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && v[idx[j + 1] as number] === v[idx[i] as number]) j++;
      for (let k = i; k <= j; k++) r[idx[k] as number] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const m = (rx.length - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const a = (rx[i] as number) - m;
    const b = (ry[i] as number) - m;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}
