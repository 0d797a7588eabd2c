import { describe, expect, it } from "vitest";
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, applyChanges, type AttributeChanges, type PortraitAttributes } from "../../src/data/index.js";
import { agreementAtoms, binAtoms } from "../../src/reward/agreement.js";
import { levelProbabilities, levelScore } from "../../src/reward/score.js";
import { SyntheticJudge, type AttributeProbs } from "../../src/reward/synthetic-judge.js";
import type { Image } from "../../src/reward/types.js";

const L = [0, 1, 2, 3, 4];

describe("agreement distribution → levels", () => {
  it("golden atoms and linear binning", () => {
    const atoms = agreementAtoms([
      { weight: 1, q: 0.5 },
      { weight: 1, q: 1 },
    ]);
    expect(new Map(atoms)).toEqual(new Map([[0.5, 0.5], [1, 0.5]]));
    expect(binAtoms(atoms, L)).toEqual([0, 0, 0.5, 0, 0.5]);
    // 0.3 on 0..4 is level 1.2: 0.8 on level 1, 0.2 on level 2
    binAtoms([[0.3, 1]], L).forEach((p, i) => expect(p).toBeCloseTo([0, 0.8, 0.2, 0, 0][i]!, 12));
    // non-uniform levels 1, 2, 5: 0.5 → value 3 → 2/3 on level 2, 1/3 on level 5
    binAtoms([[0.5, 1]], [1, 2, 5]).forEach((p, i) => expect(p).toBeCloseTo([0, 2 / 3, 1 / 3][i]!, 12));
  });

  it("Eq. 10–11 on the binned distribution give back E[A] = Σ w·q (up to the 1/1024 grid)", () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const terms = Array.from({ length: 1 + (trial % 8) }, () => ({ weight: 0.05 + rand(), q: rand() }));
      const W = terms.reduce((a, t) => a + t.weight, 0);
      const mean = terms.reduce((a, t) => a + (t.weight / W) * t.q, 0);
      const p = binAtoms(agreementAtoms(terms), L);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(levelScore(p.map(Math.log), L)).toBeCloseTo(mean, 2.5);
    }
  });
});

/** A stand-in recognizer: `conf` on the true value, the rest spread evenly. */
function oracle(p: PortraitAttributes, conf: number): AttributeProbs {
  const out: Record<string, Record<string, number>> = {};
  for (const a of ALL_ATTRIBUTES) {
    const vals = ATTRIBUTE_VALUES[a] as readonly string[];
    out[a] = Object.fromEntries(vals.map((v) => [v, v === p[a] ? conf : (1 - conf) / (vals.length - 1)]));
  }
  return out as AttributeProbs;
}

const REF: PortraitAttributes = {
  skin: "tan", hairColor: "red", hairStyle: "bun", topColor: "blue", topPattern: "dots", trousers: "khaki", accessory: "glasses",
  background: "pink", rightArm: "down", leftArm: "down", head: "front", legs: "together", body: "front", shot: "full", position: "center",
};
const CHANGES: AttributeChanges = { rightArm: "up", head: "left", shot: "half" };
const TEXT = "raise the right arm, turn the head left, half shot";

/** Images stand for their attributes: the mock recognizer reads them from a side table. */
function setup(conf = 0.999): { judge: SyntheticJudge; image: (p: PortraitAttributes) => Image } {
  const table = new Map<Float32Array, PortraitAttributes>();
  const judge = new SyntheticJudge({
    recognize: (pixels) => oracle(table.get(pixels)!, conf),
    parseInstruction: (t) => (t === TEXT ? CHANGES : "unknown"),
  });
  const image = (p: PortraitAttributes): Image => {
    const data = new Float32Array(2 * 2 * 3);
    table.set(data, p);
    return { kind: "rgb", data, width: 2, height: 2 };
  };
  return { judge, image };
}

async function scores(judge: SyntheticJudge, reference: Image, generated: Image, instruction = TEXT): Promise<{ dp: number; pf: number; dual: number }> {
  const run = async (kind: "dp" | "pf" | "dual"): Promise<number> => levelScore((await judge.judge({ kind, reference, instruction, generated })).logprobs, L);
  return { dp: await run("dp"), pf: await run("pf"), dual: await run("dual") };
}

describe("synthetic judge", () => {
  it("a faithful edit scores high on both; the requested pose change is not penalised in DP", async () => {
    const { judge, image } = setup();
    const s = await scores(judge, image(REF), image(applyChanges(REF, CHANGES)));
    expect(s.dp).toBeGreaterThan(0.99);
    expect(s.pf).toBeGreaterThan(0.99);
    expect(s.dual).toBeGreaterThan(0.99);
  });

  it("copy-the-reference: the highest DP (every detail kept; DP sees no instruction), PF at the lowest level", async () => {
    const { judge, image } = setup();
    const ref = image(REF);
    const s = await scores(judge, ref, image({ ...REF }));
    expect(s.dp).toBeCloseTo(1, 2);
    expect(s.pf).toBeLessThan(0.01);
    // Dual-PD: (½·1 [DP] + ½·0.2 [unchanged pose kept]) halved for the copy = 0.3
    expect(s.dual).toBeCloseTo(0.3, 2);
  });

  it("a changed identity lowers DP by the meaning weights, not PF", async () => {
    const { judge, image } = setup();
    const ref = image(REF);
    // skin (0.2) and background (0.05) changed: DP = 0.75
    const s = await scores(judge, ref, image(applyChanges({ ...REF, skin: "dark", background: "sky" }, CHANGES)));
    expect(s.dp).toBeCloseTo(0.75, 2);
    expect(s.pf).toBeGreaterThan(0.99);
  });

  it("PF counts each requested change; unchanged pose attributes weigh λ = 0.2", async () => {
    const { judge, image } = setup();
    const ref = image(REF);
    // 2 of 3 requested changes: PF = 0.8·2/3 + 0.2 = 0.7333
    expect((await scores(judge, ref, image(applyChanges(REF, { rightArm: "up", head: "left" })))).pf).toBeCloseTo(0.8 * (2 / 3) + 0.2, 2);
    // all requested, and legs changed although not asked (1 of 4 unchanged attributes): 0.8 + 0.2·3/4 = 0.95
    expect((await scores(judge, ref, image(applyChanges(REF, { ...CHANGES, legs: "apart" })))).pf).toBeCloseTo(0.95, 2);
  });

  it("its level distribution reflects the recognizer's uncertainty", async () => {
    const entropy = (lp: number[]): number => -levelProbabilities(lp).reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);
    const sure = setup(0.999);
    const unsure = setup(0.6);
    const gen = applyChanges(REF, CHANGES);
    const a = await sure.judge.judge({ kind: "pf", reference: sure.image(REF), instruction: TEXT, generated: sure.image(gen) });
    const b = await unsure.judge.judge({ kind: "pf", reference: unsure.image(REF), instruction: TEXT, generated: unsure.image(gen) });
    expect(entropy(b.logprobs)).toBeGreaterThan(entropy(a.logprobs) + 0.5);
    expect(levelScore(b.logprobs, L)).toBeLessThan(levelScore(a.logprobs, L));
  });

  it("an instruction the parser does not understand gives PF NaN, never a number", async () => {
    const { judge, image } = setup();
    const r = await judge.judge({ kind: "pf", reference: image(REF), instruction: "make it pop", generated: image(REF) });
    expect(r.logprobs.every(Number.isNaN)).toBe(true);
    expect(r.error).toMatch(/not understood/);
    expect(Number.isFinite(levelScore((await judge.judge({ kind: "dp", reference: image(REF), instruction: "make it pop", generated: image(REF) })).logprobs, L))).toBe(true);
  });
});
