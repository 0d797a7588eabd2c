/**
 * Benchmark of one RL epoch on the `cpu` preset and the `small` model: seconds per epoch split into
 * rollout / judge / update (from metrics.jsonl; judge = the part not hidden behind the next rollout batch),
 * next to what the model's own forward and LoRA forward+backward cost at the same batch sizes (timed here
 * with the trainer's jax-js forward and compiled programs), and the epoch cost those predict. A random-init base and the
 * synthetic judge stand in for the SFT checkpoint and an LVLM. The run is repeated for each rollout engine
 * (`sampling.engine`: jax-js, and onnxruntime-node where it loads), alternating over `--rounds`, and the
 * ratio of their steady epochs is printed from the same sitting. Prints JSON.
 * Run: `npx tsx bench/rl.ts [--algo naspo] [--epochs 3] [--reps 3] [--rounds 1]`. Wall-clock; noisy when others share the CPU.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initJax, np } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { loadDataset, synthesizeDataset } from "../src/data/index.js";
import { buildModel, FORWARD_ENGINES, fastestEngine, openForward, presetConfig, type ForwardEngine } from "../src/model/index.js";
import { createRewardModel, createSyntheticJudge } from "../src/reward/index.js";
import { inspectTrainRun, resolveTrainConfig, train, type EpochMetrics } from "../src/rl/trainer/index.js";
import { buildPrograms } from "../src/rl/trainer/programs.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  await initJax();
  const algo = arg("algo", "naspo");
  const epochs = Number(arg("epochs", "3"));
  const reps = Number(arg("reps", "3"));
  const rounds = Number(arg("rounds", "1"));
  const engines: ForwardEngine[] = (await fastestEngine()) === FORWARD_ENGINES[0] ? [FORWARD_ENGINES[0]] : [...FORWARD_ENGINES];
  const root = mkdtempSync(join(tmpdir(), "bench-rl-"));
  try {
    const modelConfig = presetConfig("small");
    const base = buildModel(modelConfig).initBase(0);
    const data = join(root, "data");
    await synthesizeDataset({ out: data, identities: 16, perIdentity: 1, size: modelConfig.imageSize, seed: 1, testIdentities: 1 });
    const records = await loadDataset(data, "train");
    const reward = createRewardModel("ours", { judge: createSyntheticJudge() });
    const runs: { engine: ForwardEngine; wall: number; lines: EpochMetrics[] }[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const engine of engines) {
        const { config, algorithm } = resolveTrainConfig(algo, "cpu", null, "bench", { epochs, engine });
        const out = join(root, `run-${engine}-${r}`);
        const t0 = performance.now();
        await train({ out, config, algorithm, init: { config: modelConfig, base, path: "random-init" }, records, dataDir: data, reward, run: await inspectTrainRun(out, config) });
        const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as EpochMetrics);
        runs.push({ engine, wall: (performance.now() - t0) / 1000, lines });
      }
    }
    const { config, algorithm } = resolveTrainConfig(algo, "cpu", null, "bench", { epochs });

    // The same model's costs at the trainer's batch sizes, with the trainer's programs.
    const model = buildModel(modelConfig, config.lora);
    const programs = buildPrograms(model, algorithm.loss, config.optimizer, null, false);
    const rng = new Rng(0);
    const N = model.tokensPerImage;
    const P = model.tokenDim;
    const W = modelConfig.textMaxWords;
    const baseA = np.array(base);
    const loraHost = model.initLora(0);
    const lora = np.array(loraHost);
    const forward = await openForward("jax", model);
    forward.setBase(base);
    forward.setLora(loraHost);
    const batch = (B: number) => {
      const sh = { shape: [B, N, P] };
      const host = { B, ref: rng.normalArray(B * N * P), text: new Int32Array(B * W), t: rng.uniformArray(B) };
      return { host, xt: np.array(rng.normalArray(B * N * P), sh), t: np.array(host.t), ref: np.array(host.ref, sh), text: np.zeros([B, W], { dtype: np.int32 }), v: np.array(rng.normalArray(B * N * P), sh) };
    };
    const timeForward = async (B: number): Promise<number> => {
      const ms: number[] = [];
      for (let i = 0; i < reps + 1; i++) {
        const { host, xt, t, ref, text, v } = batch(B);
        for (const a of [t, ref, text, v]) a.dispose();
        const bound = forward.bind(host);
        const s = performance.now();
        await (await bound.velocity(xt, host.t)).data();
        if (i > 0) ms.push(performance.now() - s);
        bound.done();
      }
      return median(ms) / 1000;
    };
    const timeFwdBwd = async (B: number): Promise<number> => {
      const ms: number[] = [];
      for (let i = 0; i < reps + 1; i++) {
        const b = batch(B);
        const bound = forward.bind(b.host);
        const vOld = await bound.velocity(b.xt.ref, b.host.t);
        await vOld.blockUntilReady();
        bound.done();
        const args = { xt: b.xt, t: b.t, ref: b.ref, text: b.text, v: b.v, vOld, pref: np.full([B], 0.5), weight: np.full([B], 1 / B), ...(algorithm.needs.ref ? { vRef: np.array(rng.normalArray(B * N * P), { shape: [B, N, P] }) } : {}) };
        const s = performance.now();
        const [stats, acc] = programs.accumulate(lora.ref, np.zeros([model.loraSize]), baseA.ref, args);
        await acc.data();
        stats.dispose();
        if (i > 0) ms.push(performance.now() - s);
      }
      return median(ms) / 1000;
    };
    const fwdRollout = await timeForward(config.rolloutBatch);
    const fwdMicro = await timeForward(config.microBatch);
    const fwdBwd = await timeFwdBwd(config.microBatch);
    programs.dispose();
    baseA.dispose();
    lora.dispose();
    await forward.release();

    const samples = config.groupSize * config.groupsPerEpoch;
    const rolloutCalls = Math.ceil(samples / config.rolloutBatch) * config.sampling.steps;
    const K = Math.floor(config.sampling.steps * config.sampling.timestepFraction);
    const microBatches = config.stepsPerEpoch * Math.ceil((samples * K) / config.stepsPerEpoch / config.microBatch);
    const extraForwards = (algorithm.needs.old ? 1 : 0) + (algorithm.needs.ref ? 1 : 0);
    /** Steady epochs (≥ 1) of one run, averaged; per engine, the median over rounds. */
    const steadyOf = (lines: EpochMetrics[]) => {
      const steady = lines.slice(1);
      const mean = (f: (m: EpochMetrics) => number): number => steady.reduce((a, m) => a + f(m), 0) / Math.max(1, steady.length);
      return { rollout: mean((m) => m.seconds.rollout), judge: mean((m) => m.seconds.judge), update: mean((m) => m.seconds.update), total: mean((m) => m.seconds.rollout + m.seconds.judge + m.seconds.update) };
    };
    const byEngine = Object.fromEntries(engines.map((e) => {
      const mine = runs.filter((r) => r.engine === e).map((r) => steadyOf(r.lines));
      const med = (k: keyof ReturnType<typeof steadyOf>): number => median(mine.map((m) => m[k]));
      return [e, { steady_epoch_s: { rollout: med("rollout"), judge: med("judge"), update: med("update"), total: med("total") }, per_round_total_s: mine.map((m) => m.total) }];
    })) as Partial<Record<ForwardEngine, { steady_epoch_s: ReturnType<typeof steadyOf>; per_round_total_s: number[] }>>;
    const onnx = byEngine.onnx;
    const predicted = { rollout: rolloutCalls * fwdRollout, update: microBatches * (fwdBwd + extraForwards * fwdMicro) };
    process.stdout.write(
      JSON.stringify(
        {
          bench: "rl",
          algo,
          preset: "cpu",
          model: "small",
          config: { groupSize: config.groupSize, groupsPerEpoch: config.groupsPerEpoch, steps: config.sampling.steps, rolloutBatch: config.rolloutBatch, microBatch: config.microBatch, stepsPerEpoch: config.stepsPerEpoch, lora: config.lora },
          runs: runs.map((r) => ({ engine: r.engine, wall_s: r.wall, epochs: r.lines.map((m) => ({ epoch: m.epoch, ...m.seconds })) })),
          by_engine: byEngine,
          onnx_over_jax: onnx
            ? { rollout: onnx.steady_epoch_s.rollout / byEngine.jax!.steady_epoch_s.rollout, epoch: onnx.steady_epoch_s.total / byEngine.jax!.steady_epoch_s.total }
            : "onnxruntime-node does not load here: jax-js only",
          model_cost_s: { forward_rollout_batch: fwdRollout, forward_micro_batch: fwdMicro, forward_backward_micro_batch: fwdBwd },
          work_per_epoch: { rollout_forwards: rolloutCalls, micro_batches: microBatches, extra_forwards_per_micro_batch: extraForwards },
          predicted_from_model_cost_s: predicted,
          note: "epoch 0 includes compilation; steady = epochs ≥ 1; predicted_from_model_cost_s is for jax-js. Noisy when other processes share the 2 cores.",
        },
        null,
        2,
      ) + "\n",
    );
    await reward.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  process.exit(0);
}

void main();
