/** Atomic run-folder creation (issue 14, item 4): the folder exists with its config, or not at all. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRunFolder, removeLeftovers } from "../../src/runtime/run-folder-create.js";

describe("createRunFolder", () => {
  it("creates the folder with its config and empty sub-folders, and removes a killed creator's leftovers", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-create-"));
    const dir = join(root, "run");
    // what a SIGKILL in the middle of a creation leaves: a temporary sibling without config.json
    mkdirSync(join(root, ".run.tmp-999-abcd1234", "checkpoints"), { recursive: true });
    writeFileSync(join(root, ".run.old-999-abcd1234"), "x");
    await createRunFolder(dir, { "config.json": '{"a":1}\n' }, ["checkpoints"]);
    expect(readdirSync(root)).toEqual(["run"]);
    expect(readdirSync(dir).sort()).toEqual(["checkpoints", "config.json"]);
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe('{"a":1}\n');
    expect(readdirSync(join(dir, "checkpoints"))).toEqual([]);
  });

  it("replaces an existing folder as a whole (a run started again with other settings)", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-create-"));
    const dir = join(root, "run");
    await createRunFolder(dir, { "config.json": "1\n" }, ["checkpoints"]);
    writeFileSync(join(dir, "metrics.jsonl"), '{"epoch":0}\n');
    await createRunFolder(dir, { "config.json": "2\n" }, ["checkpoints"]);
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe("2\n");
    expect(existsSync(join(dir, "metrics.jsonl"))).toBe(false);
    expect(readdirSync(root)).toEqual(["run"]);
  });
});

describe("removeLeftovers", () => {
  it("removes only the .NAME.tmp-… / .NAME.old-… siblings of the given path", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-create-"));
    for (const f of ["results.json", ".results.json.tmp-12-ab", ".results.json.old-12-ab", ".results.json.lock", ".table.md.tmp-3-cd", "results.json.tmp-1"]) writeFileSync(join(root, f), "");
    mkdirSync(join(root, ".eval.tmp-5-ef"));
    await removeLeftovers(join(root, "results.json"));
    await removeLeftovers(join(root, "eval"));
    expect(readdirSync(root).sort()).toEqual([".results.json.lock", ".table.md.tmp-3-cd", "results.json", "results.json.tmp-1"]);
  });
});
