/**
 * Colours of the synthetic portraits, and the paint "slots" the renderer draws with. A render is a
 * per-pixel mixture of slots (coverage weights); its RGB is that mixture times the slot colours, which
 * depend on the identity. Keeping the two apart lets the recognizer score every colour hypothesis
 * from sufficient statistics without re-rendering (see recognizer.ts).
 */
import type { PortraitAttributes } from "./attributes.js";

type RGB = readonly [number, number, number];

function hex(h: string): RGB {
  const n = Number.parseInt(h.slice(1), 16);
  return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export const SKIN: Record<PortraitAttributes["skin"], RGB> = {
  light: hex("#f2c9a0"), tan: hex("#d59b6b"), brown: hex("#9a5e34"), dark: hex("#5a3420"),
};
export const HAIR: Record<PortraitAttributes["hairColor"], RGB> = {
  black: hex("#1c1c1c"), brown: hex("#6b3e1e"), blonde: hex("#f0cc4a"), red: hex("#d9531e"), white: hex("#f8f8f8"),
};
export const TOP: Record<PortraitAttributes["topColor"], RGB> = {
  red: hex("#d62a2a"), blue: hex("#2f55d4"), green: hex("#24a33a"), yellow: hex("#f2c81b"), purple: hex("#8a35b8"), teal: hex("#1fb3b0"),
};
export const TROUSERS: Record<PortraitAttributes["trousers"], RGB> = {
  navy: hex("#1f2a5c"), khaki: hex("#c9b37e"), grey: hex("#6e6e6e"), olive: hex("#5f6b2a"),
};
export const BACKGROUND: Record<PortraitAttributes["background"], RGB> = {
  mint: hex("#bfe8c8"), pink: hex("#f7c6d9"), sky: hex("#bcd8f5"), stone: hex("#b8b8b8"),
};
const PATTERN = hex("#fafafa");
const SHOES = hex("#3a2a20");
const EYES = hex("#141414");
const ACCESSORY = hex("#ff4fa3");
/** The side of a turned top is shaded by this factor. */
export const SHADE = 0.7;

/** Paint slots, in the order of the weight planes. */
export const SLOT = {
  background: 0, skin: 1, hair: 2, top: 3, topShade: 4, pattern: 5, trousers: 6, shoes: 7, eyes: 8, accessory: 9,
} as const;
export const NUM_SLOTS = 10;

/** The colour of every slot for a portrait: Float32Array [NUM_SLOTS, 3]. */
export function slotColours(p: PortraitAttributes): Float32Array {
  const top = TOP[p.topColor];
  const acc = p.accessory === "glasses" ? EYES : ACCESSORY;
  const rows: RGB[] = [
    BACKGROUND[p.background], SKIN[p.skin], HAIR[p.hairColor], top,
    [top[0] * SHADE, top[1] * SHADE, top[2] * SHADE], PATTERN, TROUSERS[p.trousers], SHOES, EYES, acc,
  ];
  const out = new Float32Array(NUM_SLOTS * 3);
  rows.forEach((c, s) => out.set(c, s * 3));
  return out;
}
