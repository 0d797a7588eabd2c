import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeMergedCompareView } from "../../scripts/merged-compare-view.js";

/** A compare folder with compare.json and a finished eval for each `row/seedK` given. */
function compareFolder(root: string, name: string, methods: string[], seeds: number[], cells: string[], arms: Record<string, unknown> = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "compare.json"), JSON.stringify({ kind: "portraitrl-compare", version: 1, methods, seeds, arms, engine: "onnx", cells: { x: 1 }, table: { y: 2 } }));
  for (const c of cells) {
    mkdirSync(join(dir, c, "eval"), { recursive: true });
    writeFileSync(join(dir, c, "eval", "eval.json"), JSON.stringify({ cell: `${name}:${c}` }));
  }
  return dir;
}

const ROWS = ["sft", "naspo", "naspo-batch-z", "sft-continued"];

describe("writeMergedCompareView", () => {
  it("links each finished cell from the source that has it and names the union of rows and seeds", () => {
    const root = mkdtempSync(join(tmpdir(), "merged-view-"));
    const a = compareFolder(root, "cmp", ["sft", "naspo", "naspo-batch-z"], [0], ["sft/seed0", "naspo/seed0", "naspo-batch-z/seed0", "sft-continued/seed0"], { "naspo-batch-z": { algo: "naspo" } });
    const b = compareFolder(root, "cmp-from-seed1", ["sft", "naspo"], [1, 2], ["sft/seed1", "sft/seed2", "naspo/seed1"]);
    mkdirSync(join(b, "naspo", "seed2", "run"), { recursive: true }); // trained part-way, no eval: not a finished cell
    const out = join(root, "all-seeds");
    const linked = writeMergedCompareView([a, b], out, ROWS, [0, 1, 2]);
    expect(linked).toEqual(["sft/seed0", "sft/seed1", "sft/seed2", "naspo/seed0", "naspo/seed1", "naspo-batch-z/seed0", "sft-continued/seed0"]);
    expect(realpathSync(join(out, "naspo", "seed1"))).toBe(realpathSync(join(b, "naspo", "seed1")));
    expect(readlinkSync(join(out, "naspo", "seed0"))).toBe(join("..", "..", "cmp", "naspo", "seed0"));
    expect(JSON.parse(readFileSync(join(out, "sft", "seed2", "eval", "eval.json"), "utf8"))).toEqual({ cell: "cmp-from-seed1:sft/seed2" });
    expect(existsSync(join(out, "naspo", "seed2"))).toBe(false);
    const view = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as Record<string, unknown>;
    expect(view.methods).toEqual(ROWS);
    expect(view.seeds).toEqual([0, 1, 2]);
    expect(view.arms).toEqual({ "naspo-batch-z": { algo: "naspo" } });
    expect(view.engine).toBe("onnx");
    expect(view.cells).toBeUndefined();
    expect(view.table).toBeUndefined();
    expect(view.merged_from).toEqual([a, b]);
  });

  it("is rebuilt from scratch: a cell gone from the sources is gone from the view", () => {
    const root = mkdtempSync(join(tmpdir(), "merged-view-"));
    const a = compareFolder(root, "cmp", ["sft", "naspo"], [0], ["sft/seed0", "naspo/seed0"]);
    const out = join(root, "all-seeds");
    writeMergedCompareView([a], out, ROWS, [0]);
    expect(writeMergedCompareView([a], out, ["sft"], [0])).toEqual(["sft/seed0"]);
    expect(existsSync(join(out, "naspo"))).toBe(false);
  });

  it("refuses a cell finished in two sources, and a folder that is not a view", () => {
    const root = mkdtempSync(join(tmpdir(), "merged-view-"));
    const a = compareFolder(root, "cmp", ["sft"], [0], ["sft/seed0"]);
    const b = compareFolder(root, "cmp-again", ["sft"], [0], ["sft/seed0"]);
    expect(() => writeMergedCompareView([a, b], join(root, "all-seeds"), ROWS, [0])).toThrow(/sft\/seed0: finished in more than one source/);
    expect(existsSync(join(root, "all-seeds"))).toBe(false);
    expect(() => writeMergedCompareView([a], b, ROWS, [0])).toThrow(/is not a merged compare view/);
    expect(existsSync(join(b, "sft", "seed0", "eval", "eval.json"))).toBe(true);
  });
});
