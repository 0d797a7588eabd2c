/**
 * Where the time goes, per kernel class (bench/kernel-classes.ts), for three workloads of the `small`
 * model: the forward at `--batch` (one sampling step), the train step (fwd + bwd + AdamW, one jit)
 * and one steady RL epoch of the `cpu` preset (rollout, judge, update; NaSPO, synthetic judge,
 * random-init base). jax-js runs single-threaded here (the Worker shim is hidden in a child process),
 * so every kernel runs synchronously and its traced duration is its real cost; the rest of a call's
 * wall time is jit dispatch (JS), and the host↔wasm copies are timed apart. Kernel time scales down
 * by about 1.8× with the two workers the other benches use. Prints JSON.
 * Run: `npx tsx bench/profile.ts [--batch 32] [--reps 3] [--epoch true]`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initJax, jax, np, type JaxArray } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { initTrainState, makeTrainStep } from "../src/runtime/train-step.js";
import { buildModel, headDim, presetConfig, sequenceLength, tokenizeBatch } from "../src/model/index.js";
import { loadDataset, synthesizeDataset } from "../src/data/index.js";
import { createRewardModel, createSyntheticJudge } from "../src/reward/index.js";
import { inspectTrainRun, resolveTrainConfig, train, type EpochMetrics } from "../src/rl/trainer/index.js";
import { summarise, type ClassContext, type KernelEntry } from "./kernel-classes.js";

const CHILD_FLAG = "--single-threaded-child";
const HIDE_WORKER = 'data:text/javascript,Object.defineProperty(globalThis,"Worker",{get:()=>undefined,set:()=>{},configurable:true})';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

function traced<T>(f: () => Promise<T>): Promise<{ value: T; entries: KernelEntry[] }> {
  performance.clearMeasures();
  jax.profiler.startTrace();
  return f().then((value) => {
    jax.profiler.stopTrace();
    const entries = performance.getEntriesByType("measure") as unknown as KernelEntry[];
    performance.clearMeasures();
    return { value, entries };
  });
}

/** A timed call split into host→wasm copies of its inputs and the call to completion (dispatch + kernels + read-back). */
async function profileCall(reps: number, ctx: ClassContext, makeInputs: () => JaxArray[], call: (inputs: JaxArray[]) => Promise<unknown>): Promise<Record<string, unknown>> {
  const once = async (): Promise<{ toDevice: number; call: number }> => {
    const t0 = performance.now();
    const inputs = makeInputs();
    const t1 = performance.now();
    await call(inputs);
    return { toDevice: t1 - t0, call: performance.now() - t1 };
  };
  await once();
  await once();
  const runs: { value: { toDevice: number; call: number }; entries: KernelEntry[] }[] = [];
  for (let i = 0; i < reps; i++) runs.push(await traced(once));
  const mid = runs.sort((a, b) => a.value.call - b.value.call)[Math.floor(runs.length / 2)]!;
  const s = summarise(mid.entries, ctx);
  return {
    wallMs: +(mid.value.toDevice + mid.value.call).toFixed(1),
    kernelMs: s.kernelMs,
    kernels: s.kernels,
    byClassMs: { ...s.byClassMs, hostToWasm: +mid.value.toDevice.toFixed(1), jitDispatchAndReadBack: +(mid.value.call - s.kernelMs).toFixed(1) },
    topKernels: s.topKernels,
  };
}

async function profileEpoch(ctxOf: (lora: number) => ClassContext): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), "portraitrl-profile-"));
  try {
    const modelConfig = presetConfig("small");
    const data = join(root, "data");
    await synthesizeDataset({ out: data, identities: 16, perIdentity: 1, size: modelConfig.imageSize, seed: 1, testIdentities: 1 });
    const { config, algorithm } = resolveTrainConfig("naspo", "cpu", null, "bench", { epochs: 2 });
    const out = join(root, "run");
    const reward = createRewardModel("ours", { judge: createSyntheticJudge() });
    const marks: { at: number; metrics: EpochMetrics }[] = [];
    const entries: KernelEntry[] = [];
    await train({
      out,
      config,
      algorithm,
      init: { config: modelConfig, base: buildModel(modelConfig).initBase(0), path: "random-init" },
      records: await loadDataset(data, "train"),
      dataDir: data,
      reward,
      run: await inspectTrainRun(out, config),
      hooks: {
        afterEpoch({ metrics }) {
          if (marks.length === 0) {
            performance.clearMeasures();
            jax.profiler.startTrace();
          } else {
            jax.profiler.stopTrace();
            entries.push(...(performance.getEntriesByType("measure") as unknown as KernelEntry[]));
            performance.clearMeasures();
          }
          marks.push({ at: performance.now(), metrics });
        },
      },
    });
    await reward.close();
    const [start, end] = [marks[0]!.at, marks[1]!.at];
    const sec = marks[1]!.metrics.seconds;
    const rolloutEnd = start + 1000 * (sec.rollout + sec.judge);
    const ctx = ctxOf(buildModel(modelConfig, config.lora).loraSize);
    const phase = (name: string, wallS: number, es: KernelEntry[]): Record<string, unknown> => {
      const s = summarise(es, ctx, 5);
      return { name, wallMs: +(1000 * wallS).toFixed(0), kernelMs: s.kernelMs, kernels: s.kernels, byClassMs: s.byClassMs, notKernelMs: +(1000 * wallS - s.kernelMs).toFixed(0), topKernels: s.topKernels };
    };
    return {
      epochWallMs: +(end - start).toFixed(0),
      phaseSeconds: sec,
      phases: [
        phase("rollout+judge", sec.rollout + sec.judge, entries.filter((e) => e.startTime < rolloutEnd)),
        phase("update", sec.update, entries.filter((e) => e.startTime >= rolloutEnd)),
      ],
      note: "epoch 1 (epoch 0 compiles); kernels sorted into phases by start time; notKernelMs = jit dispatch, host↔wasm copies and host work (decoding, the synthetic judge) on the one thread",
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await initJax();
  const B = Number(arg("batch", "32"));
  const reps = Number(arg("reps", "3"));
  const c = presetConfig("small");
  const m = buildModel(c);
  const base = m.initBase(0);
  const ctxOf = (trainable: number): ClassContext => ({ T: sequenceLength(c), widths: [c.hidden, headDim(c), c.hidden * c.mlpRatio, c.hidden + c.hidden * c.mlpRatio], trainable: [trainable] });
  const rng = new Rng(0);
  const shape = [B, m.tokensPerImage, m.tokenDim];
  const n = B * m.tokensPerImage * m.tokenDim;
  const host = { x0: rng.normalArray(n, 0.5), x1: rng.normalArray(n), ref: rng.normalArray(n, 0.5), t: rng.uniformArray(B), text: tokenizeBatch(Array.from({ length: B }, () => "raise the left arm and turn the head"), c) };
  const batch = (): JaxArray[] => [np.array(host.x0, { shape }), np.array(host.x1, { shape }), np.array(host.t), np.array(host.ref, { shape }), np.array(host.text, { shape: [B, c.textMaxWords], dtype: np.int32 })];
  const baseA = np.array(base);
  const fwd = jax.jit((p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => {
    x1.dispose();
    return m.velocity(p, null, x0, t, ref, text);
  });
  const forward = await profileCall(reps, ctxOf(m.baseSize), batch, (a) => fwd(baseA.ref, ...(a as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray])).data());
  const loss = (p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray): JaxArray => {
    const tb = t.ref.reshape([B, 1, 1]);
    const xt = x0.ref.mul(np.subtract(1, tb.ref)).add(x1.ref.mul(tb));
    return np.square(m.velocity(p, null, xt, t, ref, text).sub(x1.sub(x0))).mean();
  };
  const trainer = makeTrainStep(loss as (p: JaxArray, ...a: JaxArray[]) => JaxArray, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 });
  const state = initTrainState(base);
  const trainStep = await profileCall(reps, ctxOf(m.baseSize), batch, (a) => trainer.step(state, a));
  const epoch = arg("epoch", "true") === "true" ? await profileEpoch(ctxOf) : null;
  const result = {
    bench: "profile",
    model: "small",
    batch: B,
    threads: "1 (no workers: traced kernel durations are real)",
    forward,
    trainStep,
    rlEpochCpuPreset: epoch,
    medianOf: reps,
    note: "byClassMs: kernel time per class (bench/kernel-classes.ts), the host→wasm copies of the inputs, and the rest of the call (jit dispatch in JS and the small read-back)",
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(0);
}

if (process.argv.includes(CHILD_FLAG)) void main();
else {
  const r = spawnSync(process.execPath, ["--import", HIDE_WORKER, "--import", "tsx", fileURLToPath(import.meta.url), ...process.argv.slice(2), CHILD_FLAG], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
