/**
 * Time and peak memory of the main job (`portraitrl demo`) from a fresh working folder, as JSON.
 * Peak memory is GNU time's maximum resident set size over the demo and its step processes (they run
 * one after another, so it is the largest single step). Usage: npx tsx bench/demo.ts [--epochs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const epochsAt = process.argv.indexOf("--epochs");
const epochs = epochsAt > 0 ? ["--epochs", process.argv[epochsAt + 1]!] : [];
const work = join(mkdtempSync(join(tmpdir(), "portraitrl-demo-bench-")), "demo");
const t0 = performance.now();
const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, "dist/cli/main.js", "demo", "--work", work, "--no-progress", ...epochs], {
  encoding: "utf8",
  stdio: ["ignore", "inherit", "pipe"],
});
const seconds = (performance.now() - t0) / 1000;
const peakKb = Number(r.stderr.trim().split("\n").pop());
const demo = JSON.parse(readFileSync(join(work, "demo.json"), "utf8")) as { steps: { command: string; seconds: number }[] };
process.stdout.write(
  `${JSON.stringify({ bench: "demo", exit: r.status, seconds, peak_rss_mb: peakKb / 1024, steps: demo.steps, work, cpus: cpus().length, cpu: cpus()[0]?.model }, null, 2)}\n`,
);
