import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLevels } from "../../src/reward/levels.js";
import { DEFAULT_PROMPT_DIR, PROMPT_FILES, loadTemplates, renderPrompt } from "../../src/reward/prompts.js";
import { userErrorOf } from "../user-error.js";


describe("prompt templates", () => {
  it("the shipped templates load and render with no placeholder left", () => {
    const t = loadTemplates();
    for (const kind of ["dp", "pf", "dual"] as const) {
      const text = renderPrompt(t[kind], "Turn his head to the left.", [0, 1, 2, 3, 4]);
      expect(text).not.toMatch(/\{[a-z_]+\}/i);
      expect(text).toContain("0, 1, 2, 3, 4");
    }
    expect(renderPrompt(t.pf, "Turn his head to the left.", [0, 1, 2, 3, 4])).toContain("Turn his head to the left.");
    // DP sees no instruction (paper §3.2) and must not penalise a pose change; PF ignores identity and punishes a copy.
    expect(t.dp).toMatch(/must NOT be penalised/);
    expect(t.dp).not.toMatch(/\{instruction\}|copy/);
    expect(t.pf).toMatch(/Do NOT judge identity/);
    expect(t.pf).toMatch(/copy of the reference/);
  });

  it("does not re-expand placeholders inside the instruction", () => {
    expect(renderPrompt("a {instruction} b {levels}", "{levels}", [0, 1])).toBe("a {levels} b 0, 1");
  });

  /** A folder holding copies of the shipped templates, to break one of them. */
  function promptCopies(): string {
    const dir = mkdtempSync(join(tmpdir(), "prompts-"));
    for (const f of Object.values(PROMPT_FILES)) writeFileSync(join(dir, f), readFileSync(join(DEFAULT_PROMPT_DIR, f)));
    return dir;
  }

  it("a template missing a placeholder or naming an unknown one: one line, exit 2, naming the file", () => {
    const dir = promptCopies();
    writeFileSync(join(dir, "pf.txt"), "Rate from {min} to {max} on {levels}.");
    const e = userErrorOf(() => loadTemplates(dir));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/pf\.txt: missing placeholder \{instruction\}/);
    writeFileSync(join(dir, "pf.txt"), "{instruction} {levels} {min} {max} {instrucion}");
    expect(userErrorOf(() => loadTemplates(dir)).message).toMatch(/unknown placeholder \{instrucion\}/);
    expect(userErrorOf(() => loadTemplates(join(dir, "nope"))).message).toMatch(/cannot read/);
  });

  it("a DP template that shows the judge the instruction is refused (X_dp = (x_r; x_0), paper §3.2)", () => {
    const dir = promptCopies();
    writeFileSync(join(dir, "dp.txt"), "Edited after \"{instruction}\". Rate from {min} to {max} on {levels}.");
    const e = userErrorOf(() => loadTemplates(dir));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/dp\.txt: a dp prompt may not use \{instruction\}/);
  });

  it("levels must be single-token digits", () => {
    expect(parseLevels("0,1,2,3,4")).toEqual([0, 1, 2, 3, 4]);
    expect(parseLevels("1-5")).toEqual([1, 2, 3, 4, 5]);
    expect(userErrorOf(() => parseLevels("0-10")).message).toMatch(/'10' is not a single-token digit/);
    expect(userErrorOf(() => parseLevels("a,b")).exitCode).toBe(2);
    expect(userErrorOf(() => parseLevels("3,1")).message).toMatch(/ascending/);
    expect(userErrorOf(() => parseLevels("3")).message).toMatch(/at least two/);
  });
});
