/**
 * `portraitrl grid` (src/report/grid-png.ts): reference | target | each eval's output, one row per shared
 * record, each image scaled by the zoom with nearest neighbour; checked pixel by pixel against the source
 * images, plus the one-line errors.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readEvalFolder } from "../../src/eval/folder.js";
import { writeEditGridPng } from "../../src/report/grid-png.js";
import { cliAsync } from "../cli-async.js";
import { makeEvalFolder } from "../eval/fixtures.js";

let root: string;
let a: string;
let b: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "prl-grid-"));
  a = await makeEvalFolder(join(root, "a"), "sft", 4);
  b = await makeEvalFolder(join(root, "b"), "copy-reference", 3);
});
afterAll(() => rm(root, { recursive: true, force: true }));

const raw = async (file: string) => {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

describe("edit grid PNG", () => {
  it("places each image, upscaled ×zoom with nearest neighbour, at its row and column", async () => {
    const fa = await readEvalFolder(a);
    const fb = await readEvalFolder(b);
    const out = join(root, "grid.png");
    const ids = await writeEditGridPng([fa, fb], out, { records: 8, zoom: 3, gutter: 2 });
    expect(ids).toEqual(fb.samples.map((s) => s.id)); // the ids both share, in a's order (b has the first 3)
    const grid = await raw(out);
    const src = await raw(join(a, fa.samples[0]!.reference_image));
    const cell = src.width * 3;
    expect(grid.width).toBe(4 * cell + 3 * 2);
    expect(grid.height).toBe(3 * cell + 2 * 2);
    const at = (img: { data: Buffer; width: number }, x: number, y: number) => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
    for (const [col, file] of [[0, fa.samples[1]!.reference_image], [1, fa.samples[1]!.target_image!], [2, fa.samples[1]!.generated_image]] as const) {
      const img = await raw(join(a, file));
      for (const [x, y] of [[0, 0], [5, 7], [img.width - 1, img.height - 1]] as const) {
        // row 1, source pixel (x, y) fills the 3×3 block at (col·(cell+2) + 3x, (cell+2) + 3y)
        expect(at(grid, col * (cell + 2) + 3 * x + 2, cell + 2 + 3 * y + 1), `col ${col} (${x},${y})`).toEqual(at(img, x, y));
      }
    }
    expect(at(grid, cell, 0)).toEqual([255, 255, 255]); // gutter
  });

  it("bad input: one line, non-zero exit", async () => {
    const r = await cliAsync("grid", join(root, "nope"), "--out", join(root, "x.png"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^portraitrl: .*nope\/eval\.json: not found \(not an eval folder\)\n$/);
    const z = await cliAsync("grid", a, "--out", join(root, "x.png"), "--zoom", "0");
    expect(z.status).toBe(2);
    expect(z.stderr).toMatch(/^portraitrl: --zoom "0": expected an integer >= 1\n$/);
  });
});
