/**
 * Sampling identities and triplets. A triplet is a reference and a target of one identity with 2–4
 * pose/camera attributes changed, each of them visible in the target (visibility.ts).
 */
import {
  ATTRIBUTE_VALUES, CAMERA_ATTRIBUTES, EDITABLE_ATTRIBUTES, IDENTITY_ATTRIBUTES, POSE_ATTRIBUTES,
  applyChanges, type AttributeChanges, type EditableAttribute, type PortraitAttributes,
} from "./attributes.js";
import type { Rng } from "./rng.js";
import { renderPortraitAt } from "./render.js";
import { isVisible } from "./visibility.js";

export type Identity = Pick<PortraitAttributes, (typeof IDENTITY_ATTRIBUTES)[number]>;

export function sampleIdentity(rng: Rng): Identity {
  const o: Record<string, string> = {};
  for (const a of IDENTITY_ATTRIBUTES) o[a] = rng.pick(ATTRIBUTE_VALUES[a]);
  return o as Identity;
}

export const identityKey = (i: Identity): string => IDENTITY_ATTRIBUTES.map((a) => i[a]).join("/");

/** A uniformly random portrait of an identity. */
export function samplePortrait(id: Identity, rng: Rng): PortraitAttributes {
  const o: Record<string, string> = { ...id };
  for (const a of [...POSE_ATTRIBUTES, ...CAMERA_ATTRIBUTES]) o[a] = rng.pick(ATTRIBUTE_VALUES[a]);
  return o as PortraitAttributes;
}

export interface Triplet {
  reference: PortraitAttributes;
  target: PortraitAttributes;
  changes: AttributeChanges;
}

export function sampleTriplet(id: Identity, rng: Rng): Triplet {
  const reference = samplePortrait(id, rng);
  for (;;) {
    const n = 2 + rng.int(3);
    const attrs = rng.shuffle(EDITABLE_ATTRIBUTES).slice(0, n);
    const changes: Record<string, string> = {};
    for (const a of attrs) {
      const values = (ATTRIBUTE_VALUES[a] as readonly string[]).filter((v) => v !== reference[a as EditableAttribute]);
      changes[a] = rng.pick(values);
    }
    const target = applyChanges(reference, changes as AttributeChanges);
    const base = renderPortraitAt(target, 32, 2);
    if (!attrs.every((a) => isVisible(a, target, base))) continue;
    return { reference, target, changes: changes as AttributeChanges };
  }
}
