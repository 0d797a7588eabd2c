import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeDirAtomic, writeFileAtomic } from "../../src/runtime/atomic.js";

describe("atomic writes", () => {
  it("writeFileAtomic replaces the file and leaves no temp file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prl-at-"));
    const f = join(dir, "a.txt");
    writeFileSync(f, "old");
    await writeFileAtomic(f, "new");
    expect(readFileSync(f, "utf8")).toBe("new");
    expect(readdirSync(dir)).toEqual(["a.txt"]);
  });

  it("writeDirAtomic: a failing fill leaves the old folder untouched; a good one replaces it", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-at-"));
    const dir = join(root, "ck");
    await writeDirAtomic(dir, async (tmp) => writeFile(join(tmp, "x"), "1"));
    await expect(
      writeDirAtomic(dir, async (tmp) => {
        await writeFile(join(tmp, "x"), "2");
        throw new Error("crash mid-write");
      }),
    ).rejects.toThrow("crash mid-write");
    expect(readFileSync(join(dir, "x"), "utf8")).toBe("1");
    expect(readdirSync(root)).toEqual(["ck"]);
    await writeDirAtomic(dir, async (tmp) => writeFile(join(tmp, "y"), "3"));
    expect(readdirSync(dir)).toEqual(["y"]);
    expect(existsSync(join(dir, "x"))).toBe(false);
    expect(readdirSync(root)).toEqual(["ck"]);
  });
});
