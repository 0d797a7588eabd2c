import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEvalFolder } from "../eval/fixtures.js";

const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "report", ...args], { encoding: "utf8" });

describe("portraitrl report (CLI)", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "prl-report-cli-"));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("writes the report where asked and prints its path", async () => {
    const ev = await makeEvalFolder(join(root, "ev"), "naspo", 3);
    const before = await makeEvalFolder(join(root, "ev-sft"), "sft", 3);
    const out = join(root, "r.html");
    const r = run(ev, "--before", before, "--out", out, "--samples", "2");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(await readFile(out, "utf8")).toContain("Before / after on the same test records");
  });

  it("fails with one line and exit 2 on a folder that is none of run/compare/eval, or a bad option", () => {
    const r = run(root);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^portraitrl: .*not a run, compare or eval folder/);
    const r2 = run(root, "--samples", "0");
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/--samples "0": expected an integer >= 1/);
  });

  it("has --help", () => {
    const r = run("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--before <evalDir>");
  });
});
