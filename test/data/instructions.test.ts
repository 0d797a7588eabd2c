import { describe, expect, it } from "vitest";
import { ATTRIBUTE_VALUES, EDITABLE_ATTRIBUTES, type AttributeChanges } from "../../src/data/attributes.js";
import { BOTH_ARMS, CLAUSES, FRAMES, FRAMES_HELD_OUT_FROM, PRONOUNS, writeInstruction } from "../../src/data/instructions.js";
import { parseInstruction } from "../../src/data/parser.js";
import { Rng } from "../../src/data/rng.js";

const same = (a: AttributeChanges, b: AttributeChanges): boolean => EDITABLE_ATTRIBUTES.every((k) => a[k] === b[k]);

/** 2–4 random attribute changes (what sampleTriplet asks for, without rendering). */
function randomChanges(rng: Rng): AttributeChanges {
  const out: Record<string, string> = {};
  for (const a of rng.shuffle(EDITABLE_ATTRIBUTES).slice(0, 2 + rng.int(3))) out[a] = rng.pick(ATTRIBUTE_VALUES[a]);
  if (out.rightArm && rng.next() < 0.3) out.leftArm = out.rightArm;
  return out as AttributeChanges;
}

describe("instruction grammar and parser", () => {
  it("every generated instruction parses back to exactly its changes (training and held-out templates)", () => {
    const rng = new Rng(42);
    for (const heldOut of [false, true]) {
      for (let i = 0; i < 2000; i++) {
        const changes = randomChanges(rng);
        const text = writeInstruction(changes, rng, heldOut);
        const p = parseInstruction(text);
        expect(p !== "unknown" && same(p, changes), text).toBe(true);
      }
    }
  });

  it("every single paraphrase parses, alone and in every frame", () => {
    for (const a of EDITABLE_ATTRIBUTES) {
      for (const [v, ps] of Object.entries(CLAUSES[a])) {
        for (const ph of ps.phrases) {
          for (const frame of FRAMES) {
            const text = frame.replace("{c}", ph.replaceAll("{p}", "their").replaceAll("{o}", "them"));
            expect(parseInstruction(text), text).toEqual({ [a]: v });
          }
        }
      }
    }
    for (const [v, ps] of Object.entries(BOTH_ARMS)) {
      for (const ph of ps.phrases) expect(parseInstruction(ph.replaceAll("{p}", "his"))).toEqual({ rightArm: v, leftArm: v });
    }
  });

  it("training instructions never use held-out paraphrases or frames", () => {
    const heldOutPhrases = [...EDITABLE_ATTRIBUTES.map((a) => CLAUSES[a]), BOTH_ARMS]
      .flatMap((table) => Object.values(table).flatMap((ps) => ps.phrases.slice(ps.heldOutFrom)))
      .flatMap((ph) => PRONOUNS.map(([p, o]) => ph.replaceAll("{p}", p).replaceAll("{o}", o).toLowerCase()));
    const heldOutFrames = FRAMES.slice(FRAMES_HELD_OUT_FROM);
    const rng = new Rng(7);
    let sawHeldOut = false;
    for (let i = 0; i < 1000; i++) {
      const changes = randomChanges(rng);
      const train = writeInstruction(changes, rng, false).toLowerCase();
      const test = writeInstruction(changes, rng, true).toLowerCase();
      for (const ph of heldOutPhrases) expect(train.includes(ph), `${ph} in "${train}"`).toBe(false);
      expect(heldOutFrames.some((f) => f.startsWith("{c}") ? train.endsWith(f.slice(3).toLowerCase()) : train.startsWith(f.split("{c}")[0]!.toLowerCase()))).toBe(false);
      if (heldOutPhrases.some((ph) => test.includes(ph))) sawHeldOut = true;
    }
    expect(sawHeldOut).toBe(true);
  });

  it("says unknown for text outside the grammar", () => {
    for (const text of [
      "", "Make it look nice.", "Raise her right arm above the head and paint the sky green.",
      "Turn her head to the left and turn her head to the right.", "raise her right arm", "zoom",
    ]) expect(parseInstruction(text), text).toBe("unknown");
  });

  it("ignores case, punctuation and pronoun", () => {
    expect(parseInstruction("ZOOM IN TO A CLOSE-UP!!! and look to the left")).toEqual({ shot: "close", head: "left" });
    expect(parseInstruction("Lift his left arm straight up, then place him on the right of the picture.")).toEqual({ leftArm: "up", position: "right" });
  });
});
