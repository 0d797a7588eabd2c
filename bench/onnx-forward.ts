/**
 * The forward (one sampling step: text encoder + transformer) on three engines in the same run, on the
 * SAME weights: jax-js (jitted, wasm), onnxruntime-node (the ONNX export of src/model/onnx, native MLAS,
 * `--threads` intra-op threads) and the PyTorch peer (bench/peer.ts) where it can be imported. First the
 * three outputs are compared on one batch; then, for `--rounds` rounds, each engine times `--reps` calls
 * in turn, so all see the same load. ORT is timed twice: with the weights already handed over, and
 * with a weight sync before every call (the flat base vector read out of jax-js with `.data()`, then
 * `setWeights`), the cost a rollout pays when the policy lives in jax-js. Each round gives ratios of
 * medians; the JSON reports their median and spread. Without PyTorch it says so and prints no ratio to
 * it; without onnxruntime-node it says so and stops. The 1-minute load average is recorded, as in
 * bench/model.ts.
 * Run: `npx tsx bench/onnx-forward.ts [--preset small] [--batch 32] [--rounds 5] [--reps 3] [--threads 2]`.
 */
import { availableParallelism, loadavg } from "node:os";
import { buildModel, presetConfig, sequenceLength, tokenizeBatch } from "../src/model/index.js";
import { createOnnxVelocity, type OnnxVelocity } from "../src/model/onnx/session.js";
import { initJax, jax, np, type JaxArray } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { startPeer } from "./peer.js";
import { arg, median, modelBenchArgs, round, spread } from "./stats.js";

async function timeReps(reps: number, f: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

async function main(): Promise<void> {
  await initJax();
  const { preset, B, rounds, reps } = modelBenchArgs();
  const threads = Number(arg("threads", "2"));
  const c = presetConfig(preset);
  const m = buildModel(c);
  const baseHost = m.initBase(0);
  const rng = new Rng(0);
  const n = B * m.tokensPerImage * m.tokenDim;
  const shape = [B, m.tokensPerImage, m.tokenDim];
  const host = { xt: rng.normalArray(n), t: rng.uniformArray(B), ref: rng.normalArray(n, 0.5), text: tokenizeBatch(Array.from({ length: B }, () => "raise the left arm and turn the head"), c) };

  let ort: OnnxVelocity;
  try {
    ort = await createOnnxVelocity(m, threads);
  } catch (err) {
    process.stderr.write(`bench/onnx-forward: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const base = np.array(baseHost);
  const fwd = jax.jit((p: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => m.velocity(p, null, xt, t, ref, text));
  const jaxForward = async (): Promise<Float32Array> =>
    Float32Array.from(await fwd(base.ref, np.array(host.xt, { shape }), np.array(host.t), np.array(host.ref, { shape }), np.array(host.text, { shape: [B, c.textMaxWords], dtype: np.int32 })).data());
  const syncWeights = async (): Promise<void> => ort.setWeights((await base.ref.data()) as Float32Array, null);
  const ortForward = (): Promise<Float32Array> => ort.velocity(host, B);

  let t0 = performance.now();
  const vJax = await jaxForward();
  const jaxFirst = performance.now() - t0;
  t0 = performance.now();
  await syncWeights();
  const vOrt = await ortForward();
  const ortFirst = performance.now() - t0;
  await jaxForward();
  await ortForward();

  const peer = await startPeer(m, B, baseHost);
  const hasPeer = !("reason" in peer);
  const agreement: Record<string, number> = { ortVsJaxjs: maxAbsDiff(vOrt, vJax), maxAbsVelocity: round(Math.max(...Array.from(vJax, Math.abs)), 4) };
  if (hasPeer) {
    const vPeer = await peer.velocity({ xt: host.xt, t: host.t, ref: host.ref, ids: host.text }, B);
    agreement.ortVsPytorch = maxAbsDiff(vOrt, vPeer);
    agreement.jaxjsVsPytorch = maxAbsDiff(vJax, vPeer);
  } else process.stderr.write(`${peer.reason}\n`);

  const loadBefore = loadavg()[0]!;
  if (loadBefore > availableParallelism() && hasPeer)
    process.stderr.write(`bench/onnx-forward: load average ${loadBefore.toFixed(1)} on ${availableParallelism()} cores before the timed rounds; PyTorch's OpenMP threads slow down far more than jax-js or ORT on an oversubscribed machine, so the ratios to PyTorch flatter both\n`);
  const ms = { jaxjs: [] as number[], ort: [] as number[], ortWithSync: [] as number[], weightSync: [] as number[], pytorch: [] as number[] };
  const ratio = { ortToJaxjs: [] as number[], jaxjsToPytorch: [] as number[], ortToPytorch: [] as number[], ortWithSyncToPytorch: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const jaxMs = await timeReps(reps, jaxForward);
    const ortMs = await timeReps(reps, ortForward);
    const syncMs = await timeReps(reps, syncWeights);
    const ortSyncMs = await timeReps(reps, async () => {
      await syncWeights();
      return ortForward();
    });
    ms.jaxjs.push(jaxMs);
    ms.ort.push(ortMs);
    ms.weightSync.push(syncMs);
    ms.ortWithSync.push(ortSyncMs);
    ratio.ortToJaxjs.push(ortMs / jaxMs);
    if (!hasPeer) continue;
    const torchMs = median(await peer.time("forward", reps));
    ms.pytorch.push(torchMs);
    ratio.jaxjsToPytorch.push(jaxMs / torchMs);
    ratio.ortToPytorch.push(ortMs / torchMs);
    ratio.ortWithSyncToPytorch.push(ortSyncMs / torchMs);
  }
  const result = {
    bench: "onnx-forward",
    preset,
    batch: B,
    sequenceLength: sequenceLength(c),
    parameters: m.baseSize,
    ortThreads: threads,
    rounds,
    repsPerRound: reps,
    agreement,
    ms: {
      jaxjs: spread(ms.jaxjs),
      ort: spread(ms.ort),
      ortWithSync: spread(ms.ortWithSync),
      weightSync: spread(ms.weightSync, 2),
      pytorch: hasPeer ? spread(ms.pytorch) : null,
    },
    firstCallMs: { jaxjs: round(jaxFirst, 0), ortWithSessionWarmup: round(ortFirst, 0) },
    ratio: {
      ortToJaxjs: spread(ratio.ortToJaxjs, 2),
      jaxjsToPytorch: hasPeer ? spread(ratio.jaxjsToPytorch, 2) : null,
      ortToPytorch: hasPeer ? spread(ratio.ortToPytorch, 2) : null,
      ortWithSyncToPytorch: hasPeer ? spread(ratio.ortWithSyncToPytorch, 2) : null,
    },
    peer: hasPeer ? peer.info : null,
    loadAverage1m: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2), cores: availableParallelism(), contended: loadBefore > availableParallelism() },
    note: "ratio = engine / other, per round from medians of alternating runs (jax-js, ORT, ORT with weight sync, PyTorch); wall-clock on a shared machine",
  };
  if (hasPeer) peer.close();
  await ort.release();
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(0);
}

void main();
