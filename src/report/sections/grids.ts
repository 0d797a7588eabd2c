/**
 * Image grids: per-group rollouts of a run (reference | G generations with DP, PF, Adv under each) and
 * side-by-side samples of eval folders for the same test records (reference | target | method…), large
 * enough (5× a 32 px image) to see pixels.
 */
import { join } from "node:path";
import type { EvalFolder } from "../../eval/folder.js";
import type { SampleRow } from "../../eval/format.js";
import { resolveInside } from "../../eval/paths.js";
import { esc, num } from "../html.js";
import type { ImageInliner } from "../images.js";
import type { GroupLine } from "../run-folder.js";

function figure(src: string, caption: string, lines: readonly string[], cls = ""): string {
  return `<figure${cls ? ` class="${cls}"` : ""}><img alt="${esc(caption)}" src="${src}"><div class="cap">${esc(caption)}</div>${lines.map((l) => `<div>${l}</div>`).join("")}</figure>`;
}

async function inline(inliner: ImageInliner, dir: string, rel: string, where: string): Promise<string> {
  const r = resolveInside(dir, rel);
  if ("error" in r) throw new Error(`${where}: ${r.error}`);
  return inliner.dataUri(r.path, where);
}

/** Groups of one epoch. */
export async function groupGridHtml(runDir: string, epoch: number, groups: readonly GroupLine[], inliner: ImageInliner): Promise<string> {
  const where = join(runDir, "groups", `epoch-${epoch}.jsonl`);
  const parts: string[] = [];
  for (const g of groups) {
    const figs = [figure(await inline(inliner, runDir, g.reference_image, where), "reference", [], "ref")];
    for (const [j, gen] of g.generations.entries()) {
      figs.push(figure(await inline(inliner, runDir, gen.image, where), `#${j + 1}`, [`DP ${num(gen.dp, 2)} · PF ${num(gen.pf, 2)}`, `Adv ${num(gen.adv, 2)}`]));
    }
    parts.push(`<div class="instr">${esc(g.instruction)} <code>${esc(g.group_key)}</code></div><div class="grid">${figs.join("")}</div>`);
  }
  return parts.join("\n");
}

function scoreLines(s: SampleRow): string[] {
  const lines = [`DP ${num(s.judge_dp, 2)} · PF ${num(s.judge_pf, 2)}`];
  if (s.gt_pose !== null || s.gt_detail !== null) lines.push(`pose ${num(s.gt_pose, 2)} · detail ${num(s.gt_detail, 2)}`);
  if (s.gt_oks !== null) lines.push(`OKS ${num(s.gt_oks, 2)}${s.copy_paste ? ` · <span class="flag">copy</span>` : ""}`);
  if (s.mse !== undefined && s.mse !== null) lines.push(`MSE ${num(s.mse, 4)} · SSIM ${num(s.ssim ?? null, 2)}`);
  return lines;
}

/**
 * The same records side by side across eval folders: one row per id (reference, target, each column's
 * generated image with its scores). Ids must be present in every column.
 */
export async function comparisonHtml(columns: readonly { label: string; folder: EvalFolder }[], ids: readonly string[], inliner: ImageInliner): Promise<string> {
  const byId = columns.map((c) => new Map(c.folder.samples.map((s) => [s.id, s])));
  const parts: string[] = [];
  for (const id of ids) {
    const first = byId[0]?.get(id);
    if (!first) continue;
    const where0 = join(columns[0]!.folder.dir, "samples.jsonl");
    const figs = [figure(await inline(inliner, columns[0]!.folder.dir, first.reference_image, where0), "reference", [], "ref")];
    if (first.target_image !== null) figs.push(figure(await inline(inliner, columns[0]!.folder.dir, first.target_image, where0), "target", [], "tgt"));
    for (const [k, c] of columns.entries()) {
      const s = byId[k]!.get(id);
      if (!s) continue;
      figs.push(figure(await inline(inliner, c.folder.dir, s.generated_image, join(c.folder.dir, "samples.jsonl")), c.label, scoreLines(s)));
    }
    parts.push(`<div class="instr">${esc(first.instruction)} <code>${esc(id)}</code></div><div class="row large">${figs.join("")}</div>`);
  }
  return parts.join("\n");
}

/** Ids present in every folder, in the first folder's order, at most `max`. */
export function sharedIds(folders: readonly EvalFolder[], max: number): string[] {
  const sets = folders.slice(1).map((f) => new Set(f.samples.map((s) => s.id)));
  return (folders[0]?.samples ?? []).map((s) => s.id).filter((id) => sets.every((set) => set.has(id))).slice(0, max);
}
