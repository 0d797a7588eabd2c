/** The colour attributes the recognizer (recognizer.ts) profiles out of every geometric hypothesis. */
import { ATTRIBUTE_VALUES, type PortraitAttributes } from "./attributes.js";
import { slotColours } from "./palette.js";
import { S } from "./recognizer-geometry.js";

export const COLOUR_ATTRS = ["background", "skin", "hairColor", "topColor", "trousers"] as const;
export type ColourAttr = (typeof COLOUR_ATTRS)[number];

/** For each colour attribute and value, the slots it paints and their colours (read off slotColours). */
export const COLOUR_TABLE: { attr: ColourAttr; slots: number[]; rows: Float64Array[] }[] = COLOUR_ATTRS.map((attr) => {
  const base = {
    skin: "light", hairColor: "black", topColor: "red", trousers: "navy", background: "mint", accessory: "none",
  } as PortraitAttributes;
  const colours = ATTRIBUTE_VALUES[attr].map((v) => slotColours({ ...base, [attr]: v } as PortraitAttributes));
  const slots = [...Array(S).keys()].filter((s) => colours.some((c) => [0, 1, 2].some((k) => c[s * 3 + k] !== colours[0]?.[s * 3 + k])));
  return { attr, slots, rows: colours.map((c) => Float64Array.from(slots.flatMap((s) => [c[s * 3] ?? 0, c[s * 3 + 1] ?? 0, c[s * 3 + 2] ?? 0]))) };
});
