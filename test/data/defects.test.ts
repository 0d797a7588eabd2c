/**
 * The imperfect editor behind the SFT targets (issue 17): each defect does what it says, at its rate,
 * and a benchmark with defects differs from the one without only in the training targets that list one.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTRIBUTE_VALUES, type PortraitAttributes } from "../../src/data/attributes.js";
import { DRIFT, renderDefective, sampleDefects } from "../../src/data/defects.js";
import { renderPortrait } from "../../src/data/render.js";
import { Rng } from "../../src/data/rng.js";
import { synthesizeDataset } from "../../src/data/synthesize.js";
import { sampleIdentity, sampleTriplet, type Triplet } from "../../src/data/triplets.js";

const REF: PortraitAttributes = {
  skin: "tan", hairColor: "red", hairStyle: "bun", topColor: "blue", topPattern: "dots", trousers: "khaki", accessory: "glasses",
  background: "pink", rightArm: "down", leftArm: "down", head: "front", legs: "together", body: "front", shot: "full", position: "center",
};
const TRIPLET: Triplet = { reference: REF, target: { ...REF, rightArm: "up", head: "left" }, changes: { rightArm: "up", head: "left" } };
const ALL = { detail: 1, colour: 1, pose: 1 };

interface TrainRow {
  id: string;
  instruction: string;
  reference_image: string;
  target_image: string;
  attributes: { target: PortraitAttributes; targetDefects: string[] };
}

describe("SFT-target defects", () => {
  it("at rate 1: one fine detail lost, one requested change undone, one colour drifted", () => {
    const d = sampleDefects(TRIPLET, ALL, new Rng(1));
    expect(d.defects).toHaveLength(3);
    const lost = (["topPattern", "accessory"] as const).filter((a) => d.shown[a] !== TRIPLET.target[a]);
    expect(lost).toHaveLength(1);
    expect(d.shown[lost[0]!]).toBe(ATTRIBUTE_VALUES[lost[0]!][0]);
    const undone = (["rightArm", "head"] as const).filter((a) => d.shown[a] === REF[a]);
    expect(undone).toHaveLength(1);
    expect(d.drift).not.toBeNull();
    expect(d.drift!.delta.every((x) => Math.abs(x) <= DRIFT)).toBe(true);
  });

  it("at rate 0: the exact target", () => {
    const d = sampleDefects(TRIPLET, { detail: 0, colour: 0, pose: 0 }, new Rng(1));
    expect(d).toEqual({ shown: TRIPLET.target, drift: null, defects: [] });
    expect(renderDefective(d, 16)).toEqual(renderPortrait(TRIPLET.target, 16));
  });

  it("colour drift moves only its part's pixels, by at most DRIFT per channel", () => {
    const d = { shown: TRIPLET.target, drift: { part: "trousers" as const, delta: [0.1, -0.1, 0.05] as [number, number, number] }, defects: ["colour drift: trousers"] };
    const a = renderPortrait(TRIPLET.target, 32);
    const b = renderDefective(d, 32);
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(b[i]! - a[i]!)).toBeLessThanOrEqual(0.1 + 1e-6);
      if (Math.abs(b[i]! - a[i]!) > 1e-6) moved++;
    }
    expect(moved).toBeGreaterThan(10);
    expect(moved).toBeLessThan(a.length / 4);
  });

  it("each defect happens at its rate (2000 seeded triplets)", () => {
    const rng = new Rng(9);
    const defectRng = new Rng(10);
    const counts = { detail: 0, colour: 0, pose: 0, eligibleDetail: 0, eligiblePose: 0 };
    for (let i = 0; i < 2000; i++) {
      const t = sampleTriplet(sampleIdentity(rng), rng);
      const d = sampleDefects(t, { detail: 0.3, colour: 0.2, pose: 0.1 }, defectRng);
      if (t.target.topPattern !== "plain" || t.target.accessory !== "none") counts.eligibleDetail++;
      if (Object.keys(t.changes).length >= 2) counts.eligiblePose++;
      if (d.defects.some((x) => x.endsWith("lost"))) counts.detail++;
      if (d.drift) counts.colour++;
      if (d.defects.some((x) => x.startsWith("pose off"))) counts.pose++;
    }
    expect(counts.detail / counts.eligibleDetail).toBeCloseTo(0.3, 1);
    expect(counts.colour / 2000).toBeCloseTo(0.2, 1);
    expect(counts.pose / counts.eligiblePose).toBeCloseTo(0.1, 1);
  });
});

describe("data synth with SFT-target defects", () => {
  let root: string;
  const synth = (out: string, withDefects: boolean) =>
    synthesizeDataset({ out, identities: 4, perIdentity: 3, size: 16, seed: 2, testIdentities: 3, ...(withDefects ? { sftDefects: { detail: 0.5, colour: 0.5, pose: 0.5 } } : {}) });
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "portraitrl-defects-"));
    await synth(join(root, "exact"), false);
    await synth(join(root, "defects"), true);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("changes only the training targets that list a defect; references, instructions, val and test stay", async () => {
    for (const f of ["val.jsonl", "test.jsonl"]) expect(await readFile(join(root, "defects", f), "utf8")).toBe(await readFile(join(root, "exact", f), "utf8"));
    const rows = (dir: string) => readFile(join(root, dir, "train.jsonl"), "utf8").then((t) => t.trimEnd().split("\n").map((l) => JSON.parse(l) as TrainRow));
    const [exact, defective] = [await rows("exact"), await rows("defects")];
    expect(defective.map((r) => [r.id, r.instruction, r.attributes.target])).toEqual(exact.map((r) => [r.id, r.instruction, r.attributes.target]));
    let withDefect = 0;
    for (const [i, r] of defective.entries()) {
      const bytes = (dir: string, rel: string) => readFile(join(root, dir, rel));
      expect(await bytes("defects", r.reference_image)).toEqual(await bytes("exact", exact[i]!.reference_image));
      const same = Buffer.compare(await bytes("defects", r.target_image), await bytes("exact", exact[i]!.target_image)) === 0;
      expect(same).toBe(r.attributes.targetDefects.length === 0);
      if (!same) withDefect++;
    }
    expect(withDefect).toBeGreaterThan(0);
    const meta = JSON.parse(await readFile(join(root, "defects", "dataset.json"), "utf8")) as { config: { sftDefects: unknown } };
    expect(meta.config.sftDefects).toEqual({ detail: 0.5, colour: 0.5, pose: 0.5 });
  });
});

describe("data synth --sft-defects (CLI)", () => {
  it("a malformed or out-of-range rate: one line naming the flag, exit 2, nothing written", async () => {
    const root = await mkdtemp(join(tmpdir(), "portraitrl-defects-cli-"));
    const run = promisify(execFile);
    for (const [spec, msg] of [["detail=0.3,glare=1", /--sft-defects "detail=0.3,glare=1": expected detail=R,colour=R,pose=R/], ["pose=2", /--sft-defects: pose must be a rate in \[0, 1\], got 2/]] as const) {
      const out = join(root, "d");
      const res = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "data", "synth", "--out", out, "--identities", "2", "--sft-defects", spec]).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      const lines = res.stderr.trim().split("\n").filter((l) => !l.startsWith("npm warn"));
      expect(res.code, spec).toBe(2);
      expect(lines, spec).toHaveLength(1);
      expect(lines[0], spec).toMatch(msg);
      expect(existsSync(out), spec).toBe(false);
    }
    await rm(root, { recursive: true, force: true });
  });
});
