/**
 * The attribute schema of the synthetic CHEESE-like benchmark (DESIGN §6): identity × pose × camera.
 * Every portrait is one value per attribute; a triplet changes 2–4 pose/camera attributes.
 * "left"/"right" of arms are the subject's own (the right arm is drawn on the image's left);
 * head and body turns and the horizontal position are from the viewer's side ("to the left" = image left).
 */
export const ATTRIBUTE_VALUES = {
  skin: ["light", "tan", "brown", "dark"],
  hairColor: ["black", "brown", "blonde", "red", "white"],
  hairStyle: ["short", "long", "bun", "curly"],
  topColor: ["red", "blue", "green", "yellow", "purple", "teal"],
  topPattern: ["plain", "stripes", "dots"],
  trousers: ["navy", "khaki", "grey", "olive"],
  accessory: ["none", "glasses", "hat", "scarf"],
  background: ["mint", "pink", "sky", "stone"],
  rightArm: ["down", "out", "up", "wave"],
  leftArm: ["down", "out", "up", "wave"],
  head: ["front", "left", "right"],
  legs: ["together", "apart", "lifted"],
  body: ["front", "left", "right"],
  shot: ["full", "half", "close"],
  position: ["center", "left", "right"],
} as const;

export type AttributeName = keyof typeof ATTRIBUTE_VALUES;
export type AttributeValue<A extends AttributeName> = (typeof ATTRIBUTE_VALUES)[A][number];
/** One portrait: a value for every attribute. */
export type PortraitAttributes = { [A in AttributeName]: AttributeValue<A> };

export type AttributeGroup = "identity" | "pose" | "camera";

export const IDENTITY_ATTRIBUTES = [
  "skin", "hairColor", "hairStyle", "topColor", "topPattern", "trousers", "accessory", "background",
] as const satisfies readonly AttributeName[];
export const POSE_ATTRIBUTES = ["rightArm", "leftArm", "head", "legs", "body"] as const satisfies readonly AttributeName[];
export const CAMERA_ATTRIBUTES = ["shot", "position"] as const satisfies readonly AttributeName[];
/** Attributes an instruction may change. */
export const EDITABLE_ATTRIBUTES = [...POSE_ATTRIBUTES, ...CAMERA_ATTRIBUTES] as const;
export type EditableAttribute = (typeof EDITABLE_ATTRIBUTES)[number];
export const ALL_ATTRIBUTES = [...IDENTITY_ATTRIBUTES, ...EDITABLE_ATTRIBUTES] as const;

export function groupOf(a: AttributeName): AttributeGroup {
  if ((IDENTITY_ATTRIBUTES as readonly string[]).includes(a)) return "identity";
  if ((POSE_ATTRIBUTES as readonly string[]).includes(a)) return "pose";
  return "camera";
}

/**
 * How much a viewer cares about keeping each identity attribute (DESIGN §6: by meaning, not pixel area).
 * Skin and hair — a few pixels — weigh most; the background least. Sums to 1.
 */
export const DETAIL_WEIGHTS: Record<(typeof IDENTITY_ATTRIBUTES)[number], number> = {
  skin: 0.2,
  hairColor: 0.15,
  hairStyle: 0.15,
  topColor: 0.12,
  topPattern: 0.12,
  trousers: 0.08,
  accessory: 0.13,
  background: 0.05,
};

/** Attribute changes requested by an instruction: only the edited attributes, with their new values. */
export type AttributeChanges = Partial<{ [A in EditableAttribute]: AttributeValue<A> }>;

/** Ground truth kept by every synthetic record: both images' attributes and the requested changes. */
export interface RecordAttributes {
  reference: PortraitAttributes;
  target: PortraitAttributes;
  changes: AttributeChanges;
  /** 17 COCO keypoints [x, y, visibility] of the target, in pixels of an image of `size`. */
  targetKeypoints?: [number, number, number][];
  referenceKeypoints?: [number, number, number][];
  size?: number;
  /**
   * Only on training records of a benchmark synthesised with SFT-target defects (defects.ts): how the
   * target image departs from `target`; [] for an exact one.
   */
  targetDefects?: string[];
}

export function isValue<A extends AttributeName>(a: A, v: unknown): v is AttributeValue<A> {
  return typeof v === "string" && (ATTRIBUTE_VALUES[a] as readonly string[]).includes(v);
}

/** Structural check of a parsed `attributes` object; returns the first problem or null. */
export function checkPortrait(x: unknown): string | null {
  if (typeof x !== "object" || x === null) return "not an object";
  const o = x as Record<string, unknown>;
  for (const a of ALL_ATTRIBUTES) {
    if (!isValue(a, o[a])) return `${a}: expected one of ${ATTRIBUTE_VALUES[a].join("|")}, got ${JSON.stringify(o[a])}`;
  }
  return null;
}

/** Apply changes to a portrait. */
export function applyChanges(p: PortraitAttributes, c: AttributeChanges): PortraitAttributes {
  return { ...p, ...c } as PortraitAttributes;
}

