/**
 * The imperfect reference editor behind the cold-start SFT targets (issue 17; paper §3.1: cold-start data
 * are generated, limited and imperfect). RL's job is what this supervision cannot teach; the judge and the
 * validation/test targets stay exact. Each training target, independently with its rate:
 * - lost detail: the top's pattern comes out plain, or the accessory is gone (one of those the
 *   identity has, at random);
 * - colour drift: the top, the trousers or the hair is rendered with every channel shifted by up to
 *   ±DRIFT (uniform, clamped to [0, 1]);
 * - pose off: one requested change is not carried out (that attribute keeps the reference's value);
 *   only when at least two were requested, so the target is still an edit.
 * The record keeps the exact `target` attributes and lists in `targetDefects` how its image departs
 * from them. Defects draw from their own stream, so a benchmark with defects has the same triplets,
 * instructions and reference images as the one without.
 */
import { ATTRIBUTE_VALUES, type EditableAttribute, type PortraitAttributes } from "./attributes.js";
import { SLOT, slotColours } from "./palette.js";
import { compose, renderWeights } from "./render.js";
import type { Rng } from "./rng.js";
import type { Triplet } from "./triplets.js";

export interface DefectRates {
  detail: number;
  colour: number;
  pose: number;
}

export const NO_DEFECTS: DefectRates = { detail: 0, colour: 0, pose: 0 };
export const hasDefects = (r: DefectRates): boolean => r.detail > 0 || r.colour > 0 || r.pose > 0;

/** Largest per-channel colour shift of a drift defect. */
export const DRIFT = 0.12;

const DRIFT_SLOTS = { top: [SLOT.top, SLOT.topShade], trousers: [SLOT.trousers], hair: [SLOT.hair] } as const;
type DriftPart = keyof typeof DRIFT_SLOTS;

export interface DefectiveTarget {
  /** The attributes the defective image shows. */
  shown: PortraitAttributes;
  drift: { part: DriftPart; delta: [number, number, number] } | null;
  /** What went wrong, e.g. "accessory lost", "colour drift: top", "pose off: head". */
  defects: string[];
}

/** The element of `xs` at the uniform draw u ∈ [0, 1). */
const at = <T>(xs: readonly T[], u: number): T => xs[Math.floor(u * xs.length)] as T;

/** Draw the defects of one training target; every record takes the same 9 draws, whatever befalls it. */
export function sampleDefects(t: Triplet, rates: DefectRates, rng: Rng): DefectiveTarget {
  const [detailRoll, detailPick, poseRoll, posePick, colourRoll, partPick, ...shift] = Array.from({ length: 9 }, () => rng.next()) as number[];
  const defects: string[] = [];
  let shown = t.target;
  const present = (["topPattern", "accessory"] as const).filter((a) => shown[a] !== ATTRIBUTE_VALUES[a][0]);
  if (detailRoll! < rates.detail && present.length > 0) {
    const a = at(present, detailPick!);
    shown = { ...shown, [a]: ATTRIBUTE_VALUES[a][0] };
    defects.push(`${a} lost`);
  }
  const requested = Object.keys(t.changes) as EditableAttribute[];
  if (poseRoll! < rates.pose && requested.length >= 2) {
    const a = at(requested, posePick!);
    shown = { ...shown, [a]: t.reference[a] };
    defects.push(`pose off: ${a}`);
  }
  let drift: DefectiveTarget["drift"] = null;
  if (colourRoll! < rates.colour) {
    const part = at(Object.keys(DRIFT_SLOTS) as DriftPart[], partPick!);
    drift = { part, delta: shift.map((u) => (2 * u - 1) * DRIFT) as [number, number, number] };
    defects.push(`colour drift: ${part}`);
  }
  return { shown, drift, defects };
}

/** The defective target image: [size, size, 3] RGB in [0, 1]. */
export function renderDefective(d: DefectiveTarget, size: number): Float32Array {
  const colours = slotColours(d.shown);
  if (d.drift) {
    for (const slot of DRIFT_SLOTS[d.drift.part]) {
      for (let c = 0; c < 3; c++) colours[slot * 3 + c] = Math.min(1, Math.max(0, (colours[slot * 3 + c] ?? 0) + d.drift.delta[c]!));
    }
  }
  return compose(renderWeights(d.shown, size, 4), colours);
}
