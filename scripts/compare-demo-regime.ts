/**
 * `npm run compare:demo-regime`: the paper's Tables 1 and 3 on the demo's regime (issue 18), resumable.
 *   1. the demo benchmark (`portraitrl data synth`, DEMO_BENCHMARK), unless already there;
 *   2. the equal tuning budget: `portraitrl sweep` over configs/sweeps/cpu.yaml (4 trials per RL method,
 *      DEMO_RL's epochs, chosen on the validation split), from the shipped checkpoint;
 *   3. `portraitrl compare` with the chosen configs, COMPARE_SEEDS training seeds, the ablation arms
 *      (NaSPO with σ fixed at ½; NaSPO with σ(Δ) at work, batch-z Δ; the raw-sum reward) and the reward ablation (Dual-PD, CLIP-I's stand-in),
 *      rollouts and evals on onnxruntime-node where it loads (`--engine onnx`; the sweep ran on jax-js,
 *      which agrees with it to float rounding), one cell at a time (jax-js and ORT each use both cores);
 *   4. the records copied to results/compare-demo-regime/: sweep.json and the chosen-<algo>.yaml files,
 *      compare.json, table.md, results.json, and each cell's eval.json.
 * Every step is a `portraitrl` child process that continues where an interrupted one stopped, so the
 * script may be run again (and across sessions) until it finishes; the runs live in runs/.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../src/runtime/errors.js";
import { benchmarkIsThere } from "../src/demo/steps.js";
import { fastestEngine } from "../src/model/index.js";
import { DEMO_BENCHMARK, DEMO_RL, PACKAGE_ROOT, SHIPPED_SFT_DIR, sftDefectsFlag } from "../src/demo/settings.js";
import { portraitrl } from "./portraitrl-child.js";

const COMPARE_SEEDS = 5;
const b = DEMO_BENCHMARK;
const data = join(PACKAGE_ROOT, "runs", `benchmark-${b.size}`);
const sweepDir = join(PACKAGE_ROOT, "runs", "sweep-demo-regime");
const compareDir = join(PACKAGE_ROOT, "runs", "compare-demo-regime");
const results = join(PACKAGE_ROOT, "results", "compare-demo-regime");
const grid = join(PACKAGE_ROOT, "configs", "sweeps", "cpu.yaml");
const arm = (f: string): string => join(PACKAGE_ROOT, "configs", "arms", f);

let ready: boolean;
try {
  ready = benchmarkIsThere(data, DEMO_BENCHMARK);
} catch (e) {
  if (!(e instanceof UserError)) throw e;
  process.stderr.write(`compare:demo-regime: ${e.message}\n`);
  process.exit(e.exitCode);
}
if (!ready) {
  portraitrl(["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`, "--test-identities", `${b.testIdentities}`,
    "--val-identities", `${b.valIdentities}`, "--sft-defects", sftDefectsFlag(b.sftDefects), "--size", `${b.size}`, "--seed", `${b.seed}`]);
}
const common = ["--data", data, "--init", SHIPPED_SFT_DIR, "--preset", DEMO_RL.preset, "--epochs", `${DEMO_RL.epochs}`, "--no-progress"];
portraitrl(["sweep", ...common, "--grid", grid, "--configs", join(PACKAGE_ROOT, "configs", DEMO_RL.preset), "--out", sweepDir]);
const engine = await fastestEngine();
portraitrl(["compare", ...common, "--configs", sweepDir, "--seeds", `${COMPARE_SEEDS}`, "--out", compareDir, "--engine", engine,
  "--algos", `sft,flow-grpo,diffusion-nft,naspo,naspo-sigma-half=naspo:${arm("sigma-half.yaml")},naspo-batch-z=naspo:${arm("sigma-batch-z.yaml")}`,
  "--rewards", `ours,dual-pd,clip-i,raw-sum=naspo:${arm("raw-sum.yaml")}`]);

mkdirSync(results, { recursive: true });
copyFileSync(join(sweepDir, "sweep.json"), join(results, "sweep.json"));
for (const f of readdirSync(sweepDir)) if (f.endsWith(".yaml")) copyFileSync(join(sweepDir, f), join(results, `chosen-${f}`));
for (const f of ["compare.json", "table.md", "results.json"]) copyFileSync(join(compareDir, f), join(results, f));
for (const row of readdirSync(compareDir, { withFileTypes: true })) {
  if (!row.isDirectory()) continue;
  for (const seed of readdirSync(join(compareDir, row.name))) {
    const evalJson = join(compareDir, row.name, seed, "eval", "eval.json");
    if (!existsSync(evalJson)) continue;
    mkdirSync(join(results, row.name, seed), { recursive: true });
    copyFileSync(evalJson, join(results, row.name, seed, "eval.json"));
  }
}
process.stderr.write(`compare:demo-regime: records in ${results}\n`);
