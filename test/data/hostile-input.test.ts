/**
 * Odd dataset input is refused by validation, before any work (issue 14, item 6): an image link that
 * leaves the folder, an image above the loader's size bound, a split file that is a folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { loadDataset, MAX_IMAGE_SIDE, synthesizeDataset, validateDataset } from "../../src/data/index.js";
import { UserError } from "../../src/runtime/errors.js";

let root: string;

/** A fresh copy-able dataset folder: 2 train records at 16 px. */
async function dataset(name: string): Promise<string> {
  const dir = join(root, name);
  await synthesizeDataset({ out: dir, identities: 2, perIdentity: 1, size: 16, seed: 3, testIdentities: 1 });
  return dir;
}

const firstRecord = (dir: string): { reference_image: string } => JSON.parse(readFileSync(join(dir, "train.jsonl"), "utf8").split("\n")[0]!);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "prl-hostile-"));
});

describe("dataset validation refuses", () => {
  it("an image that is a link to a file outside the dataset folder (the path itself is inside)", async () => {
    const dir = await dataset("link");
    const outside = join(root, "secret.png");
    const ref = firstRecord(dir).reference_image;
    renameSync(join(dir, ref), outside);
    symlinkSync(outside, join(dir, ref));
    const v = await validateDataset(dir);
    expect(v.problems).toHaveLength(1);
    expect(v.problems[0]!.field).toBe("reference_image");
    expect(v.problems[0]!.message).toBe(`${ref}: is a link to ${outside}, which is outside the dataset folder`);
  });

  it("a link that stays inside the folder is fine", async () => {
    const dir = await dataset("inner-link");
    const ref = firstRecord(dir).reference_image;
    mkdirSync(join(dir, "elsewhere"));
    renameSync(join(dir, ref), join(dir, "elsewhere", "x.png"));
    symlinkSync(join(dir, "elsewhere", "x.png"), join(dir, ref));
    expect((await validateDataset(dir)).problems).toEqual([]);
  });

  it(`an image larger than ${MAX_IMAGE_SIDE} px on a side, named with its size (other sizes up to it still load)`, async () => {
    const dir = await dataset("huge");
    const ref = firstRecord(dir).reference_image;
    await sharp({ create: { width: 4000, height: 4000, channels: 3, background: "#808080" } }).png().toFile(join(dir, ref));
    const v = await validateDataset(dir);
    expect(v.problems.map((p) => p.message)).toEqual([`${ref}: image is 4000x4000, larger than the 2048x2048 the loader takes (it resizes to the model's size); downscale it first`]);
    await sharp({ create: { width: MAX_IMAGE_SIDE, height: 64, channels: 3, background: "#808080" } }).png().toFile(join(dir, ref));
    expect((await validateDataset(dir)).problems).toEqual([]);
  });

  it("a split file that is a folder: one line naming it, exit 1", async () => {
    const dir = await dataset("eisdir");
    rmSync(join(dir, "train.jsonl"));
    mkdirSync(join(dir, "train.jsonl"));
    const err = await loadDataset(dir, "train").then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`${join(dir, "train.jsonl")}: is not a file (expected one JSON record per line)`);
    expect((err as UserError).exitCode).toBe(1);
  });
});

describe("a dataset of records only", () => {
  it("keeps loading (a control for the cases above)", async () => {
    const dir = await dataset("plain");
    writeFileSync(join(dir, "notes.txt"), "not a split");
    expect(await loadDataset(dir, "train")).toHaveLength(2);
  });
});
