import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliTogether } from "../../src/demo/steps.js";
import { UserError } from "../../src/runtime/errors.js";

/**
 * A stand-in CLI entry: `<log> <name> <exit code>` appends "start name", waits until the other command
 * has started too (or 5 s), appends "end name" and exits with the code.
 */
function fakeCli(): { entry: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "prl-together-"));
  const entry = join(dir, "cli.mjs");
  writeFileSync(
    entry,
    `import { appendFileSync, readFileSync } from "node:fs";
const [log, name, code] = process.argv.slice(2);
appendFileSync(log, "start " + name + "\\n");
const t0 = Date.now();
while (readFileSync(log, "utf8").split("start ").length < 3 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
appendFileSync(log, "end " + name + "\\n");
process.exit(Number(code));
`,
  );
  const log = join(dir, "log");
  writeFileSync(log, "");
  return { entry, log };
}

describe("runCliTogether", () => {
  it("runs the commands at the same time and returns their logs in order", async () => {
    const { entry, log } = fakeCli();
    const steps = await runCliTogether(entry, [[log, "a", "0"], [log, "b", "0"]]);
    expect(steps.map((s) => s.command)).toEqual([`portraitrl ${log} a 0`, `portraitrl ${log} b 0`]);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.slice(0, 2).sort()).toEqual(["start a", "start b"]);
    expect(steps.every((s) => !s.skipped && s.seconds > 0)).toBe(true);
  });

  it("waits for every command, then names the one that failed", async () => {
    const { entry, log } = fakeCli();
    const e = await runCliTogether(entry, [[log, "a", "0"], [log, "b", "3"]]).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).message).toBe(`\`portraitrl ${log} b 3\` failed (exit 3); see its message above`);
    expect(readFileSync(log, "utf8").trim().split("\n").filter((l) => l.startsWith("end")).sort()).toEqual(["end a", "end b"]);
  });
});
