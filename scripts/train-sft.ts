/**
 * `npm run train:sft`: reproduces the shipped cold-start checkpoint from its seed.
 *   1. the demo benchmark (`portraitrl data synth`, DEMO_BENCHMARK), unless already there;
 *   2. cold-start SFT of the DEMO_SFT preset (`portraitrl sft`; resumable);
 *   3. export config + base weights to checkpoints/sft-<preset> with checksums;
 *   4. evaluate it on the held-out test split and record commands, seconds and metrics in
 *      checkpoints/sft-<preset>.training.json.
 * Everything runs through the built CLI, so the commands recorded are the commands that ran.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "../src/model/index.js";
import { writeFileAtomic } from "../src/runtime/atomic.js";
import { UserError } from "../src/runtime/errors.js";
import { exportCheckpoint } from "../src/demo/shipped.js";
import { benchmarkIsThere } from "../src/demo/steps.js";
import { DEMO_BENCHMARK, DEMO_SFT, PACKAGE_ROOT, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS } from "../src/demo/settings.js";

const cli = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const data = join(PACKAGE_ROOT, "runs", "benchmark");
const run = join(PACKAGE_ROOT, "runs", `sft-${DEMO_SFT.preset}`);
const evalDir = join(PACKAGE_ROOT, "runs", `sft-${DEMO_SFT.preset}-eval`);

function portraitrl(args: string[]): { command: string; seconds: number } {
  const command = `portraitrl ${args.join(" ")}`;
  process.stderr.write(`$ ${command}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return { command, seconds: (performance.now() - t0) / 1000 };
}

const b = DEMO_BENCHMARK;
function benchmarkReady(): boolean {
  try {
    return benchmarkIsThere(data, DEMO_BENCHMARK);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`train:sft: ${e.message}\n`);
    process.exit(e.exitCode);
  }
}

const synth = benchmarkReady()
  ? null
  : portraitrl(["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`,
      "--test-identities", `${b.testIdentities}`, "--size", `${b.size}`, "--seed", `${b.seed}`]);
const sft = portraitrl(["sft", "--data", data, "--out", run, "--preset", DEMO_SFT.preset, "--steps", `${DEMO_SFT.steps}`, "--seed", `${DEMO_SFT.seed}`]);
const last = await loadCheckpoint(join(run, "checkpoints", "latest"));
await exportCheckpoint(last, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS);
const ev = portraitrl(["eval", "--ckpt", SHIPPED_SFT_DIR, "--data", data, "--split", "test", "--out", evalDir, "--method", "sft", "--overwrite"]);

const metricLines = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n");
const runState = last.state as { elapsedS: number };
await writeFileAtomic(
  `${SHIPPED_SFT_DIR}.training.json`,
  `${JSON.stringify(
    {
      benchmark: DEMO_BENCHMARK,
      sft: DEMO_SFT,
      commands: [synth, sft, ev].filter((c) => c !== null),
      training_seconds: runState.elapsedS,
      final_metrics: JSON.parse(metricLines[metricLines.length - 1]!),
      test_eval: JSON.parse(readFileSync(join(evalDir, "eval.json"), "utf8")).metrics,
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? null, node: process.version },
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`shipped ${SHIPPED_SFT_DIR} (+ .sha256, .training.json)\n`);
