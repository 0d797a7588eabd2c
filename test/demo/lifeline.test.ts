/**
 * `portraitrl demo` killed with SIGKILL leaves no child process: its first step (synthesising the
 * benchmark into a fresh work folder, a child `portraitrl data synth` of tens of seconds) exits with it,
 * through the lifeline every step's child gets (src/runtime/child.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alive, childrenOf } from "../processes.js";

const root = mkdtempSync(join(tmpdir(), "prl-demo-lifeline-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("demo's children die with it", () => {
  it("SIGKILLed during its first step, the step's child exits too", { timeout: 120_000 }, async () => {
    const demo = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", "--work", join(root, "work"), "--no-progress"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    demo.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // "exit", not "close": a surviving child would hold the demo's stderr open
    const exited = new Promise<NodeJS.Signals | null>((res) => demo.on("exit", (_code, signal) => res(signal)));
    // (tsx's esbuild service is a child too, and a step's child has the demo's command line until it execs)
    const stepsOf = () => childrenOf(demo.pid!).filter((c) => / data synth /.test(c.args));
    let steps = stepsOf();
    for (let i = 0; i < 600 && steps.length === 0; i++) {
      await sleep(100);
      steps = stepsOf();
    }
    expect(steps, stderr).toHaveLength(1);
    await sleep(2000); // the child is past its start-up (its lifeline is open)
    expect(alive(steps[0]!.pid), stderr).toBe(true);
    const all = childrenOf(demo.pid!);
    demo.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    // the step would run on for tens of seconds; through its lifeline it exits at once
    for (let i = 0; i < 50 && all.some((c) => alive(c.pid)); i++) await sleep(100);
    expect(all.filter((c) => alive(c.pid))).toEqual([]);
  });
});
