import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IDENTITY_ATTRIBUTES } from "../../src/data/attributes.js";
import { DatasetError, loadDataset, validateDataset, type DatasetRecord } from "../../src/data/dataset.js";
import { readImage, writePng } from "../../src/data/image-io.js";
import { renderPortrait } from "../../src/data/render.js";
import { synthesizeDataset } from "../../src/data/synthesize.js";
import { UserError } from "../../src/runtime/errors.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "portraitrl-data-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function hashTree(dir: string): Promise<string> {
  const h = createHash("sha256");
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else h.update(relative(dir, p)).update(await readFile(p));
    }
  };
  await walk(dir);
  return h.digest("hex");
}

const synth = (out: string, seed: number) => synthesizeDataset({ out, identities: 6, perIdentity: 2, size: 32, seed, testIdentities: 3 });

describe("dataset synthesis and I/O", () => {
  it("same seed → byte-identical dataset folders; another seed differs", async () => {
    await synth(join(root, "a"), 5);
    await synth(join(root, "b"), 5);
    await synth(join(root, "c"), 6);
    expect(await hashTree(join(root, "a"))).toBe(await hashTree(join(root, "b")));
    expect(await hashTree(join(root, "a"))).not.toBe(await hashTree(join(root, "c")));
  });

  it("loads back: absolute paths, attributes, identity-disjoint splits, one val/test triplet per identity", async () => {
    const train = await loadDataset(join(root, "a"), "train");
    const val = await loadDataset(join(root, "a"), "val");
    const test = await loadDataset(join(root, "a"), "test");
    expect(train).toHaveLength(12);
    expect(val).toHaveLength(3);
    expect(test).toHaveLength(3);
    const identity = (r: DatasetRecord): string => JSON.stringify(IDENTITY_ATTRIBUTES.map((a) => r.attributes?.reference[a]));
    const splits = [train, val, test].map((rs) => new Set(rs.map(identity)));
    expect(splits[0]!.size + splits[1]!.size + splits[2]!.size).toBe(new Set([...splits[0]!, ...splits[1]!, ...splits[2]!]).size);
    expect(new Set(val.map((r) => r.collectionId)).size).toBe(3);
    expect(new Set(test.map((r) => r.collectionId)).size).toBe(3);
    for (const r of [...train, ...val, ...test]) {
      expect(r.referenceImage.startsWith(root)).toBe(true);
      expect(r.attributes?.targetKeypoints).toHaveLength(17);
      const n = Object.keys(r.attributes?.changes ?? {}).length;
      expect(n >= 2 && n <= 4).toBe(true);
      for (const [k, v] of Object.entries(r.attributes?.changes ?? {})) {
        expect(r.attributes?.target[k as "head"]).toBe(v);
        expect(r.attributes?.reference[k as "head"]).not.toBe(v);
      }
    }
    // The target image is the render of the target attributes (8-bit).
    const r0 = train[0]!;
    const img = await readImage(r0.targetImage!, 32);
    const want = renderPortrait(r0.attributes!.target, 32);
    expect(Math.max(...img.map((v, i) => Math.abs(v - want[i]!)))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it("the validation split is drawn last: its size leaves the train and test bytes of a seed as they were", async () => {
    await synthesizeDataset({ out: join(root, "v1"), identities: 6, perIdentity: 2, size: 32, seed: 5, testIdentities: 3, valIdentities: 1 });
    for (const f of ["train.jsonl", "test.jsonl"]) {
      expect(await readFile(join(root, "v1", f), "utf8")).toBe(await readFile(join(root, "a", f), "utf8"));
    }
    expect((await readFile(join(root, "v1", "val.jsonl"), "utf8")).trimEnd().split("\n")).toHaveLength(1);
  });

  it("refuses to overwrite a non-empty folder", async () => {
    await expect(synth(join(root, "a"), 5)).rejects.toBeInstanceOf(UserError);
  });

  it("PNG round trip is exact at 8 bits; other sizes resize with a warning or are refused", async () => {
    const img = renderPortrait(JSON.parse((await readFile(join(root, "a", "train.jsonl"), "utf8")).split("\n")[0]!).attributes.reference, 32);
    const q = img.map((v) => Math.round(v * 255) / 255);
    const p = join(root, "rt.png");
    await writePng(p, img, 32);
    const back = await readImage(p, 32);
    expect(Math.max(...back.map((v, i) => Math.abs(v - q[i]!)))).toBeLessThan(1e-6);
    await expect(readImage(p, 64, { resize: "refuse" })).rejects.toBeInstanceOf(UserError);
    expect((await readImage(p, 64)).length).toBe(64 * 64 * 3);
  });

  it("loads Edit-R1 / Flow-GRPO *_metadata.jsonl folders", async () => {
    const d = join(root, "editr1");
    await mkdir(join(d, "imgs"), { recursive: true });
    await writePng(join(d, "imgs", "x.png"), renderPortrait(JSON.parse((await readFile(join(root, "a", "test.jsonl"), "utf8")).split("\n")[0]!).attributes.target, 32), 32);
    await writeFile(join(d, "train_metadata.jsonl"), JSON.stringify({ prompt: "Raise her right arm above the head.", image: "imgs/x.png", requirement: "r" }) + "\n");
    const recs = await loadDataset(d, "train");
    expect(recs).toHaveLength(1);
    expect(recs[0]!.instruction).toBe("Raise her right arm above the head.");
    expect(recs[0]!.referenceImage).toBe(join(d, "imgs", "x.png"));
    expect(recs[0]!.source).toEqual({ file: join(d, "train_metadata.jsonl"), line: 1 });
  });
});

describe("bad datasets", () => {
  let bad: string;
  beforeAll(async () => {
    bad = join(root, "bad");
    await synth(bad, 9);
    const lines = (await readFile(join(bad, "train.jsonl"), "utf8")).trimEnd().split("\n");
    const rec = (i: number) => JSON.parse(lines[i]!) as Record<string, unknown>;
    await writeFile(join(bad, "notimage.png"), "this is not a png");
    const out = [
      lines[0]!,
      "{ this is not json",
      JSON.stringify({ ...rec(1), reference_image: "images/missing.png" }),
      JSON.stringify({ ...rec(2), target_image: "notimage.png" }),
      JSON.stringify({ ...rec(3), reference_image: "../../etc/passwd" }),
      JSON.stringify({ ...rec(4), id: rec(0).id }),
      JSON.stringify(Object.fromEntries(Object.entries(rec(5)).filter(([k]) => k !== "instruction"))),
    ];
    await writeFile(join(bad, "train.jsonl"), out.join("\n") + "\n");
  });

  it("validation lists one problem per bad line with file:line and field", async () => {
    const v = await validateDataset(bad);
    const got = v.problems.map((p) => [relative(bad, p.file), p.line, p.field]);
    expect(got).toEqual([
      ["train.jsonl", 2, "(line)"],
      ["train.jsonl", 3, "reference_image"],
      ["train.jsonl", 4, "target_image"],
      ["train.jsonl", 5, "reference_image"],
      ["train.jsonl", 6, "id"],
      ["train.jsonl", 7, "instruction"],
    ]);
    expect(v.problems[0]!.message).toMatch(/malformed JSON/);
    expect(v.problems[1]!.message).toMatch(/does not exist/);
    expect(v.problems[2]!.message).toMatch(/not an image/);
    expect(v.problems[3]!.message).toMatch(/leaves the dataset folder/);
    expect(v.problems[4]!.message).toMatch(/duplicate id/);
    expect(v.problems[5]!.message).toMatch(/missing required field/);
  });

  it("loading for training fails before any work, exit code 1, every problem listed with a count", async () => {
    const err = await loadDataset(bad, "test").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    const e = err as DatasetError;
    expect(e.exitCode).toBe(1);
    const lines = e.message.split("\n");
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/train\.jsonl:2: \(line\): malformed JSON/);
    expect(lines[6]).toBe("6 problems found");
  });

  it("`data check` exits 1 with one line per problem and a count", async () => {
    const run = promisify(execFile);
    const res = await run(process.execPath, ["--import", "tsx", "src/cli/main.ts", "data", "check", bad]).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split("\n").filter((l) => !l.startsWith("npm warn"));
    expect(lines).toHaveLength(7);
    expect(lines.slice(0, 6).every((l) => /train\.jsonl:\d+: [a-z_()]+: /.test(l))).toBe(true);
    expect(lines[6]).toMatch(/6 problems in/);
  });
});
