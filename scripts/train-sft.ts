/**
 * `npm run train:sft`: reproduces the shipped cold-start checkpoint from its seed.
 *   1. the demo benchmark (`portraitrl data synth`, DEMO_BENCHMARK), unless already there;
 *   2. cold-start SFT of the DEMO_SFT preset (`portraitrl sft`; resumable, so it may span sessions),
 *      checkpointed every DEMO_SFT.ckptEvery steps, all kept;
 *   3. each checkpoint evaluated on the VALIDATION split (`portraitrl eval --split val`, its EMA weights, on
 *      onnxruntime-node where it loads, else jax-js);
 *      the stop step is the one with the lowest validation MSE to the exact target (ties: the earlier);
 *   4. that checkpoint's EMA weights exported to checkpoints/sft-<preset> with checksums;
 *   5. the shipped checkpoint evaluated once on the test split, and commands, seconds, the validation
 *      curve and the test metrics recorded in checkpoints/sft-<preset>.training.json.
 * Everything runs through the built CLI, so the commands recorded are the commands that ran. A batch of
 * step k depends only on (seed, k) and a resumed run reproduces an uninterrupted one bit for bit; the
 * learning rate decays to its floor at DEMO_SFT.steps, so the weights at a step depend on that number.
 */
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { isAbsolute, join, relative } from "node:path";
import { chooseBaseWeights, fastestEngine, loadCheckpoint } from "../src/model/index.js";
import { writeFileAtomic } from "../src/runtime/atomic.js";
import { checkpointSteps, runPaths } from "../src/runtime/run-folder.js";
import { UserError } from "../src/runtime/errors.js";
import { exportCheckpoint } from "../src/demo/shipped.js";
import { evalMeans } from "../src/demo/choose.js";
import { benchmarkIsThere } from "../src/demo/steps.js";
import { evalIsCurrent } from "../src/eval/folder.js";
import { DEMO_BENCHMARK, DEMO_SFT, DEMO_SFT_CONFIG, PACKAGE_ROOT, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS, sftDefectsFlag } from "../src/demo/settings.js";
import { portraitrl, type RanStep } from "./portraitrl-child.js";

const b = DEMO_BENCHMARK;
const data = join(PACKAGE_ROOT, "runs", `benchmark-${b.size}`);
const run = join(PACKAGE_ROOT, "runs", `sft-${DEMO_SFT.preset}`);
const evalRoot = join(PACKAGE_ROOT, "runs", `sft-${DEMO_SFT.preset}-eval`);

function benchmarkReady(): boolean {
  try {
    return benchmarkIsThere(data, DEMO_BENCHMARK);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`train:sft: ${e.message}\n`);
    process.exit(e.exitCode);
  }
}

const synthArgs = ["data", "synth", "--out", data, "--identities", `${b.identities}`, "--per-identity", `${b.perIdentity}`,
  "--test-identities", `${b.testIdentities}`, "--val-identities", `${b.valIdentities}`, "--sft-defects", sftDefectsFlag(b.sftDefects),
  "--size", `${b.size}`, "--seed", `${b.seed}`];
const sftArgs = ["sft", "--data", data, "--out", run, "--preset", DEMO_SFT.preset, "--config", DEMO_SFT_CONFIG, "--steps", `${DEMO_SFT.steps}`, "--seed", `${DEMO_SFT.seed}`,
  "--ckpt-every", `${DEMO_SFT.ckptEvery}`, "--keep-checkpoints", `${DEMO_SFT.keepCheckpoints}`, "--no-progress"];
const ran: RanStep[] = [];
if (!benchmarkReady()) ran.push(portraitrl(synthArgs));
// A run already taken past DEMO_SFT.steps is not trained again.
if (Math.max(0, ...checkpointSteps(run)) < DEMO_SFT.steps) ran.push(portraitrl(sftArgs));

const engine = await fastestEngine();
const validation: { step: number; mse: number | null; ssim: number | null; judge_dp: number | null; judge_pf: number | null }[] = [];
for (let step = DEMO_SFT.ckptEvery; step <= DEMO_SFT.steps; step += DEMO_SFT.ckptEvery) {
  const ckpt = runPaths.checkpoint(run, step);
  if (!existsSync(ckpt)) throw new Error(`${ckpt}: missing; DEMO_SFT.keepCheckpoints must keep every checkpoint`);
  const out = join(evalRoot, `val-step-${step}`);
  if (!evalIsCurrent(out, ckpt)) ran.push(portraitrl(["eval", "--ckpt", ckpt, "--data", data, "--split", "val", "--out", out, "--engine", engine, "--method", "sft", "--overwrite"]));
  const mean = evalMeans(out);
  validation.push({ step, mse: mean("mse"), ssim: mean("ssim"), judge_dp: mean("judge_dp"), judge_pf: mean("judge_pf") });
}
const chosen = validation.reduce((best, v) => ((v.mse ?? Infinity) < (best.mse ?? Infinity) ? v : best));
process.stderr.write(`train:sft: validation MSE by step: ${validation.map((v) => `${v.step} ${v.mse?.toFixed(4)}`).join(", ")}; chosen step ${chosen.step}\n`);

const ck = await loadCheckpoint(runPaths.checkpoint(run, chosen.step));
await exportCheckpoint({ ...ck, base: chooseBaseWeights(ck, "ema").base }, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS);
const testDir = join(evalRoot, "test");
if (!evalIsCurrent(testDir, SHIPPED_SFT_DIR)) ran.push(portraitrl(["eval", "--ckpt", SHIPPED_SFT_DIR, "--data", data, "--split", "test", "--out", testDir, "--engine", engine, "--method", "sft", "--overwrite"]));

const state = ck.state as { elapsedS: number; step: number };
await writeFileAtomic(
  `${SHIPPED_SFT_DIR}.training.json`,
  `${JSON.stringify(
    {
      benchmark: DEMO_BENCHMARK,
      sft: DEMO_SFT,
      chosen_step: chosen.step,
      eval_engine: engine,
      choice: "lowest validation-split MSE to the exact target among the checkpoints (EMA weights), ties to the earlier",
      validation,
      // Paths relative to the package root, so the commands hold on any clone (run from its root).
      reproduce: [synthArgs, sftArgs].map((a) => `portraitrl ${a.map((x) => (isAbsolute(x) ? relative(PACKAGE_ROOT, x) : x)).join(" ")}`),
      commands_this_invocation: ran,
      training_seconds_to_chosen_step: state.elapsedS,
      test_eval: JSON.parse(readFileSync(join(testDir, "eval.json"), "utf8")).metrics,
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? null, node: process.version },
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`shipped ${SHIPPED_SFT_DIR} (step ${chosen.step}; + .sha256, .training.json)\n`);
