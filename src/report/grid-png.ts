/**
 * A grid of edits as one PNG, for looking at pixels: one row per record, the columns reference | target |
 * each eval folder's generated image, every image scaled up by an integer factor with nearest-neighbour
 * resampling (a 32 px edit at 5× shows each pixel as a 5×5 block), separated by white gutters. The rows are
 * the first `records` ids all the folders share, in the first folder's order; no text is drawn (a caller
 * writes the column labels beside the file).
 */
import { join } from "node:path";
import sharp, { type OverlayOptions } from "sharp";
import type { EvalFolder } from "../eval/folder.js";
import { writeFileAtomic } from "../runtime/atomic.js";
import { UserError } from "../runtime/errors.js";
import { sharedIds } from "./sections/grids.js";

export interface GridPngOptions {
  records: number;
  /** Integer scale factor (nearest neighbour). */
  zoom: number;
  /** White pixels between images. */
  gutter?: number;
}

/** Writes the grid; returns the ids of its rows. */
export async function writeEditGridPng(folders: readonly EvalFolder[], out: string, o: GridPngOptions): Promise<string[]> {
  if (folders.length === 0) throw new UserError("grid: no eval folder given", 2);
  const ids = sharedIds(folders, o.records);
  if (ids.length === 0) throw new UserError(`grid: the eval folders share no record id`, 1);
  const gutter = o.gutter ?? 4;
  const first = folders[0]!;
  const sample = (f: EvalFolder, id: string) => f.samples.find((s) => s.id === id)!;
  const size = (await sharp(join(first.dir, sample(first, ids[0]!).generated_image)).metadata()).width ?? 0;
  const cell = size * o.zoom;
  const cols = 2 + folders.length;
  const tiles: OverlayOptions[] = [];
  for (const [r, id] of ids.entries()) {
    const s0 = sample(first, id);
    if (!s0.target_image) throw new UserError(`grid: ${first.dir}: record ${id} has no target image`, 1);
    const files = [join(first.dir, s0.reference_image), join(first.dir, s0.target_image), ...folders.map((f) => join(f.dir, sample(f, id).generated_image))];
    for (const [c, file] of files.entries()) {
      const input = await sharp(file).resize(cell, cell, { kernel: "nearest" }).removeAlpha().png().toBuffer();
      tiles.push({ input, left: c * (cell + gutter), top: r * (cell + gutter) });
    }
  }
  const width = cols * cell + (cols - 1) * gutter;
  const height = ids.length * cell + (ids.length - 1) * gutter;
  const png = await sharp({ create: { width, height, channels: 3, background: "#ffffff" } }).composite(tiles).png().toBuffer();
  await writeFileAtomic(out, png);
  return ids;
}
