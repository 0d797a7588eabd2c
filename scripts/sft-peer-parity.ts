/**
 * Does portraitrl's cold-start SFT learn as fast as PyTorch on the same data? (issue 17)
 * The PyTorch peer (bench/peer/sft.py) trains the same model from the same initial weights
 * (`initBase(streamSeed(seed, "sft-init"))`, as `portraitrl sft` starts) with the same recipe on the same
 * decoded train examples; every `--every` steps its raw weights become a portraitrl checkpoint and
 * portraitrl's own `eval --weights base --split val` scores them, so the two runs differ only in the
 * training code (and in which random batches, times and noises each draws). Compare the printed MSE
 * with `portraitrl eval --weights base --split val` of the portraitrl run's checkpoints at the same steps.
 *
 *   npx tsx scripts/sft-peer-parity.ts --data DIR --like SFT_CKPT --out DIR [--steps 1500] [--every 500] [--seed 0]
 *     [--set FIELD=JSON ...] [--edit-weight λ] [--lr X] [--schedule constant|cosine] [--min-lr-factor F] [--ema D]
 *     [--engine jax|onnx]
 *
 * `--like` is a checkpoint of the portraitrl run on the same data: the model config (and so the
 * vocabulary built from the data) is taken from it. `--set` overrides one model-config field (e.g.
 * `--set hidden=192 --set 'ropeAxes=[8,20,20]'`), validated like any config, so the peer can try other
 * shapes on the same data (issue 25). `--edit-weight λ` weighs the token elements the edit changes 1 + λ in the
 * peer's loss (bench/peer/sft.py; 0, the default, is portraitrl's recipe). `--lr` replaces the recipe's AdamW
 * learning rate (default: portraitrl's, DESIGN §9). `--schedule cosine` decays it after the warm-up to F·lr (default
 * F 0.1) at the last step; `--ema D` scores the EMA weights (decay D) instead of the raw ones. `--engine` is the eval's sampling engine. Prints one JSON object
 * with each step's val metrics and writes it to OUT/peer.json.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { loadDataset } from "../src/data/index.js";
import { buildModel, loadCheckpoint, parseModelConfig, saveCheckpoint, vocabSize, type ModelConfig } from "../src/model/index.js";
import { UserError } from "../src/runtime/errors.js";
import { DEFAULT_SFT_CONFIG, prepareExamples, streamSeed } from "../src/sft/index.js";
import { PACKAGE_ROOT } from "../src/demo/settings.js";
import { PEER_THREADS, pythonPath, torchMissing } from "../bench/peer.js";

/** One line naming the flag, exit 2, before any work. */
function usageError(message: string): never {
  process.stderr.write(`sft-peer-parity: ${message}\n`);
  process.exit(2);
}

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) {
    usageError(`--${name} is required`);
  }
  return v;
}

const data = arg("data");
const like = arg("like");
const out = arg("out");
const steps = Number(arg("steps", "1500"));
const every = Number(arg("every", "500"));
const seed = Number(arg("seed", "0"));
const engine = arg("engine", "jax");
const editWeight = Number(arg("edit-weight", "0"));
if (!Number.isFinite(editWeight) || editWeight < 0) {
  usageError(`--edit-weight ${arg("edit-weight")}: expected a number >= 0`);
}
const opt = DEFAULT_SFT_CONFIG.optimizer;
const lr = Number(arg("lr", String(opt.lr)));
if (!Number.isFinite(lr) || lr <= 0) {
  usageError(`--lr ${arg("lr")}: expected a number > 0`);
}
const schedule = arg("schedule", "constant");
const minLrFactor = Number(arg("min-lr-factor", "0.1"));
const ema = Number(arg("ema", "0"));
if (schedule !== "constant" && schedule !== "cosine") {
  usageError(`--schedule ${schedule}: expected constant or cosine`);
}
if (!(minLrFactor >= 0 && minLrFactor <= 1)) {
  usageError(`--min-lr-factor ${arg("min-lr-factor")}: expected a number in [0, 1]`);
}
if (!(ema >= 0 && ema < 1)) {
  usageError(`--ema ${arg("ema")}: expected a number in [0, 1)`);
}
const overrides: Record<string, unknown> = {};
process.argv.forEach((a, i) => {
  if (a !== "--set") return;
  const kv = process.argv[i + 1] ?? "";
  const eq = kv.indexOf("=");
  if (eq <= 0) {
    usageError(`--set ${kv}: expected FIELD=JSON`);
  }
  try {
    overrides[kv.slice(0, eq)] = JSON.parse(kv.slice(eq + 1));
  } catch {
    usageError(`--set ${kv}: the value is not JSON`);
  }
});
const python = pythonPath();
const missing = torchMissing(python);
if (missing) {
  process.stderr.write(`sft-peer-parity: ${missing}\n`);
  process.exit(1);
}

let config: ModelConfig;
try {
  config = parseModelConfig({ ...(await loadCheckpoint(like)).config, ...overrides }, "--set");
} catch (e) {
  if (!(e instanceof UserError)) throw e;
  usageError(`${e.message}`);
}
const model = buildModel(config);
const examples = await prepareExamples(await loadDataset(data, "train"), config, "warn");
const dump = join(out, "dump");
mkdirSync(dump, { recursive: true });
writeFileSync(join(dump, "ref.f32"), examples.ref);
writeFileSync(join(dump, "target.f32"), examples.target);
writeFileSync(join(dump, "text.i32"), examples.text);
writeFileSync(join(dump, "init.f32"), model.initBase(streamSeed(seed, "sft-init")));
writeFileSync(
  join(dump, "job.json"),
  JSON.stringify({
    config, vocabSize: vocabSize(config), spec: model.baseSpec.map((e) => [e.name, e.shape, e.offset]), size: model.baseSize,
    count: examples.count, tokens: model.tokensPerImage, tokenDim: model.tokenDim,
    seed, steps, every, batch: DEFAULT_SFT_CONFIG.batchSize, lr, warmup: opt.warmupSteps, editWeight, schedule, minLrFactor, ema,
  }),
);

const cli = join(PACKAGE_ROOT, "dist", "cli", "main.js");
const peer = spawn(python, [fileURLToPath(new URL("../bench/peer/sft.py", import.meta.url)), dump], { env: { ...process.env, PEER_THREADS: String(PEER_THREADS), OMP_NUM_THREADS: String(PEER_THREADS), OMP_WAIT_POLICY: "PASSIVE" }, stdio: ["ignore", "pipe", "inherit"] });
const results: Record<string, unknown>[] = [];
for await (const line of createInterface({ input: peer.stdout })) {
  const saved = JSON.parse(line) as { step: number; loss: number; weights: string; seconds: number };
  const bytes = readFileSync(saved.weights);
  const ckpt = join(out, `peer-step-${saved.step}`);
  await saveCheckpoint(ckpt, { config, base: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) });
  const evalDir = join(out, `eval-peer-step-${saved.step}`);
  const r = spawnSync(process.execPath, [cli, "eval", "--ckpt", ckpt, "--weights", "base", "--data", data, "--split", "val", "--out", evalDir, "--method", "sft", "--engine", engine, "--overwrite"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const m = (JSON.parse(readFileSync(join(evalDir, "eval.json"), "utf8")) as { metrics: Record<string, { mean: number | null }> }).metrics;
  results.push({ step: saved.step, train_loss: saved.loss, peer_seconds: saved.seconds, val: { mse: m.mse?.mean, ssim: m.ssim?.mean, mse_figure: m.mse_figure?.mean, judge_dp: m.judge_dp?.mean, judge_pf: m.judge_pf?.mean } });
  process.stderr.write(`sft-peer-parity: ${JSON.stringify(results.at(-1))}\n`);
}
const record = JSON.stringify({ data, like, overrides, editWeight, lr, schedule, minLrFactor, ema, config, steps, every, seed, engine, python, results }, null, 2);
writeFileSync(join(out, "peer.json"), `${record}\n`);
console.log(record);
