/**
 * `data sheet`: a contact sheet of triplets — reference, target (when present), instruction — drawn
 * with @napi-rs/canvas (text needs fonts; the sheet is for eyes, not for byte-exact comparison).
 * Images are enlarged with nearest-neighbour so single pixels stay visible.
 */
import { writeFileAtomic } from "../runtime/atomic.js";
import { createCanvas, ImageData, type SKRSContext2D } from "@napi-rs/canvas";
import type { DatasetRecord } from "./dataset.js";
import { readImage } from "./image-io.js";

export interface SheetOptions {
  /** Pixels per image pixel (default 4). */
  scale?: number;
  /** Triplets per row of the sheet (default 2). */
  columns?: number;
}

function wrap(g: SKRSContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (const w of text.split(/\s+/)) {
    const next = cur ? `${cur} ${w}` : w;
    if (g.measureText(next).width > width && cur) {
      lines.push(cur);
      cur = w;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

export async function contactSheet(records: DatasetRecord[], size: number, out: string, opts: SheetOptions = {}): Promise<void> {
  const scale = opts.scale ?? 4;
  const cols = opts.columns ?? 2;
  const img = size * scale;
  const textW = 300;
  const pad = 8;
  const cellW = 2 * img + textW + 3 * pad;
  const cellH = img + 2 * pad;
  const rows = Math.ceil(records.length / cols);
  const canvas = createCanvas(cols * cellW, Math.max(1, rows) * cellH);
  const g = canvas.getContext("2d");
  g.fillStyle = "#ffffff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.imageSmoothingEnabled = false;
  for (const [i, r] of records.entries()) {
    const x0 = (i % cols) * cellW;
    const y0 = Math.floor(i / cols) * cellH;
    const panels = [r.referenceImage, r.targetImage];
    for (const [k, path] of panels.entries()) {
      const x = x0 + pad + k * (img + pad);
      if (!path) {
        g.fillStyle = "#eeeeee";
        g.fillRect(x, y0 + pad, img, img);
        continue;
      }
      const px = await readImage(path, size);
      const data = new Uint8ClampedArray(size * size * 4);
      for (let p = 0; p < size * size; p++) {
        data[p * 4] = Math.round((px[p * 3] ?? 0) * 255);
        data[p * 4 + 1] = Math.round((px[p * 3 + 1] ?? 0) * 255);
        data[p * 4 + 2] = Math.round((px[p * 3 + 2] ?? 0) * 255);
        data[p * 4 + 3] = 255;
      }
      const small = createCanvas(size, size);
      small.getContext("2d").putImageData(new ImageData(data, size, size), 0, 0);
      g.drawImage(small, x, y0 + pad, img, img);
    }
    g.fillStyle = "#111111";
    g.font = "13px DejaVu Sans";
    const tx = x0 + 2 * img + 3 * pad;
    let ty = y0 + pad + 14;
    g.fillText(r.id, tx, ty);
    g.fillStyle = "#333333";
    for (const line of wrap(g, r.instruction, textW - pad)) {
      ty += 16;
      if (ty > y0 + cellH - 4) break;
      g.fillText(line, tx, ty);
    }
  }
  await writeFileAtomic(out, await canvas.encode("png"));
}
