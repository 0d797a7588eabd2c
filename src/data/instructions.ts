/**
 * The instruction grammar: one clause per changed attribute, from paraphrase lists, joined into a
 * sentence by a frame. Some paraphrases and frames are held out: training records never use them,
 * test records may (the parser knows them all). `{p}` is the possessive pronoun (her / his / their), `{o}` the object one (her / him / them).
 */
import type { AttributeChanges, EditableAttribute } from "./attributes.js";
import type { Rng } from "./rng.js";

/** A paraphrase list; entries from index `heldOutFrom` on are held out from training. */
interface Paraphrases {
  phrases: string[];
  heldOutFrom: number;
}
const P = (heldOutFrom: number, ...phrases: string[]): Paraphrases => ({ phrases, heldOutFrom });

type Side = "right" | "left";
const arm = (side: Side): Record<string, Paraphrases> => ({
  down: P(3, `lower {p} ${side} arm`, `let {p} ${side} arm hang down`, `put {p} ${side} arm down`, `drop {p} ${side} arm to {p} side`),
  out: P(2, `stretch {p} ${side} arm out to the side`, `hold {p} ${side} arm out sideways`, `extend {p} ${side} arm horizontally`),
  up: P(2, `raise {p} ${side} arm above the head`, `lift {p} ${side} arm straight up`, `reach up high with {p} ${side} arm`),
  wave: P(2, `wave with {p} ${side} hand`, `raise {p} ${side} hand to wave`, `bend {p} ${side} elbow and hold the hand up`),
});
const bothArms: Record<string, Paraphrases> = {
  down: P(2, "lower both arms", "let both arms hang down", "drop both arms to {p} sides"),
  out: P(2, "stretch both arms out to the sides", "hold both arms out sideways", "spread both arms wide"),
  up: P(2, "raise both arms above the head", "lift both arms straight up", "reach up high with both arms"),
  wave: P(2, "wave with both hands", "raise both hands to wave", "bend both elbows and hold the hands up"),
};

export const CLAUSES: Record<EditableAttribute, Record<string, Paraphrases>> = {
  rightArm: arm("right"),
  leftArm: arm("left"),
  head: {
    front: P(2, "turn {p} head to face the camera", "look straight at the camera", "bring {p} gaze back to the lens"),
    left: P(2, "turn {p} head to the left", "look to the left", "glance toward the left edge"),
    right: P(2, "turn {p} head to the right", "look to the right", "glance toward the right edge"),
  },
  body: {
    front: P(2, "turn {p} body to face the camera", "square {p} shoulders to the camera", "face the lens with {p} whole body"),
    left: P(2, "turn {p} body to the left", "rotate {p} torso to the left", "angle {p} body toward the left"),
    right: P(2, "turn {p} body to the right", "rotate {p} torso to the right", "angle {p} body toward the right"),
  },
  legs: {
    together: P(2, "put {p} feet together", "stand with {p} legs together", "bring {p} legs close"),
    apart: P(2, "spread {p} legs apart", "stand with {p} feet wide apart", "take a wide stance"),
    lifted: P(2, "lift {p} right knee", "raise {p} right leg", "balance on {p} left foot"),
  },
  shot: {
    full: P(2, "step back to a full-body shot", "zoom out to show the whole body", "show {o} from head to toe"),
    half: P(2, "switch to a half-body shot", "frame {o} from the knees up", "use a medium shot"),
    close: P(2, "zoom in to a close-up", "crop to a close-up of the upper body", "move the camera in tight"),
  },
  position: {
    center: P(2, "move {o} to the center of the frame", "place {o} in the middle of the picture", "recenter the framing on {o}"),
    left: P(2, "move {o} to the left side of the frame", "place {o} on the left of the picture", "shift the framing so the subject stands left"),
    right: P(2, "move {o} to the right side of the frame", "place {o} on the right of the picture", "shift the framing so the subject stands right"),
  },
};
export const BOTH_ARMS = bothArms;

/** Sentence frames; `{c}` is the joined clause list. Held out from index FRAMES_HELD_OUT_FROM on. */
export const FRAMES = ["{c}.", "Please {c}.", "Now {c}.", "In the new photo, {c}.", "Could you {c}?", "I'd like you to {c}.", "{c}, please."];
export const FRAMES_HELD_OUT_FROM = 4;
/** Possessive and object pronouns, used together. */
export const PRONOUNS: readonly (readonly [string, string])[] = [["her", "her"], ["his", "him"], ["their", "them"]];

/** The order clauses are spoken in (camera last, as a photographer would say it). */
const ORDER: EditableAttribute[] = ["body", "head", "rightArm", "leftArm", "legs", "shot", "position"];

/**
 * Write an instruction for a set of changes. `heldOut` allows held-out paraphrases and frames (test
 * records); without it only training templates are used.
 */
export function writeInstruction(changes: AttributeChanges, rng: Rng, heldOut: boolean): string {
  const pick = (ps: Paraphrases): string => ps.phrases[rng.int(heldOut ? ps.phrases.length : ps.heldOutFrom)] ?? "";
  const [possessive, object] = rng.pick(PRONOUNS);
  const clauses: string[] = [];
  const both = changes.rightArm !== undefined && changes.rightArm === changes.leftArm && rng.next() < 0.5;
  for (const a of rng.shuffle(ORDER).sort((x, y) => (x === "shot" || x === "position" ? 1 : 0) - (y === "shot" || y === "position" ? 1 : 0))) {
    const v = changes[a];
    if (v === undefined) continue;
    if (both && a === "leftArm") continue;
    const table = both && a === "rightArm" ? BOTH_ARMS : CLAUSES[a];
    const ps = table[v];
    if (!ps) throw new Error(`writeInstruction: no clause for ${a}=${v}`);
    clauses.push(pick(ps).replaceAll("{p}", possessive).replaceAll("{o}", object));
  }
  if (clauses.length === 0) throw new Error("writeInstruction: no changes");
  const joined = clauses.length === 1 ? clauses[0] ?? "" : `${clauses.slice(0, -1).join(", ")} and ${clauses.at(-1) ?? ""}`;
  const frame = FRAMES[rng.int(heldOut ? FRAMES.length : FRAMES_HELD_OUT_FROM)] ?? "{c}.";
  const s = frame.replace("{c}", joined);
  return s.charAt(0).toUpperCase() + s.slice(1);
}
