/**
 * `npm test` sets up what its tests need (issue 14, item 1): the pretest installs Debian's chromium when
 * it is missing, or stops with one line; and no npm command warns about the project's config.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const setup = (env: Record<string, string>) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/test-setup.ts"], { encoding: "utf8", env: { ...process.env, ...env } });

describe("npm test's pretest", () => {
  it("is the README test command's first step", () => {
    const r = spawnSync("npm", ["pkg", "get", "scripts.pretest"], { encoding: "utf8" });
    expect(JSON.parse(r.stdout)).toBe("tsx scripts/test-setup.ts");
  });

  it("does nothing and says nothing when the browser is there", () => {
    const r = setup({ PORTRAITRL_CHROMIUM: process.execPath });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
  });

  it("stops with one line naming the browser when it is missing and apt-get is not there", () => {
    const empty = mkdtempSync(join(tmpdir(), "prl-nopath-"));
    const r = setup({ PORTRAITRL_CHROMIUM: join(empty, "chromium"), PATH: empty });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `npm test: ${join(empty, "chromium")} is missing and cannot be installed: apt-get not found (not a Debian/Ubuntu machine); install it (apt-get install chromium) or set PORTRAITRL_CHROMIUM to a Chromium binary\n`,
    );
  });
});

describe("npm", () => {
  it("warns about no project config (.npmrc) on a command", () => {
    const r = spawnSync("npm", ["pkg", "get", "name"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown project config/);
  });
});
