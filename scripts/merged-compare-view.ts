/**
 * One compare folder for `portraitrl report` made of several (scripts/compare-paper-budget.ts; tested in
 * test/scripts/merged-compare-view.test.ts). The paper-budget comparison trains seed 0 in `cmp` and later
 * seeds in `cmp-from-seed1` (a compare folder can be extended, not shrunk), and SFT continued beside the RL
 * rows; the report draws every seed's curve, and the mean over seeds, only when one compare.json names them
 * all. The view links each finished cell (`<row>/seed<k>` holding `eval/eval.json`) rather than copying it,
 * and its compare.json is the first source's with the rows and seeds found, the sources' arms, and
 * `merged_from`. Rebuilt from scratch on each call; a folder that is not such a view is never removed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

type CompareJson = { arms?: Record<string, unknown>; merged_from?: string[]; [key: string]: unknown };

const readCompare = (dir: string): CompareJson => JSON.parse(readFileSync(join(dir, "compare.json"), "utf8")) as CompareJson;

/** Writes the view of `rows` × `seeds` from `sources` into `out`; returns the cells it links, as `row/seedK`. */
export function writeMergedCompareView(sources: readonly string[], out: string, rows: readonly string[], seeds: readonly number[]): string[] {
  if (sources.length === 0) throw new Error("writeMergedCompareView: no source compare folder");
  const cells: { row: string; k: number; holder: string }[] = [];
  for (const row of rows) {
    for (const k of seeds) {
      const holders = sources.filter((s) => existsSync(join(s, row, `seed${k}`, "eval", "eval.json")));
      if (holders.length > 1) throw new Error(`${row}/seed${k}: finished in more than one source (${holders.join(", ")})`);
      if (holders[0] !== undefined) cells.push({ row, k, holder: holders[0] });
    }
  }
  if (existsSync(out)) {
    if (!existsSync(join(out, "compare.json")) || readCompare(out).merged_from === undefined) throw new Error(`${out}: exists and is not a merged compare view; not replacing it`);
    rmSync(out, { recursive: true });
  }
  for (const { row, k, holder } of cells) {
    const link = join(out, row, `seed${k}`);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), resolve(holder, row, `seed${k}`)), link, "dir");
  }
  const compares = sources.map(readCompare);
  const arms = Object.assign({}, ...compares.map((c) => c.arms ?? {})) as Record<string, unknown>;
  // The first source's per-cell log and table describe only its own cells.
  const kept = Object.fromEntries(Object.entries(compares[0]!).filter(([key]) => key !== "cells" && key !== "table"));
  const view = {
    ...kept,
    methods: rows.filter((r) => cells.some((c) => c.row === r)),
    seeds: seeds.filter((k) => cells.some((c) => c.k === k)),
    arms,
    merged_from: sources.map((s) => resolve(s)),
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "compare.json"), `${JSON.stringify(view, null, 2)}\n`);
  return cells.map((c) => `${c.row}/seed${c.k}`);
}
