/**
 * jax-js against its PyTorch peer (bench/peer/model.py), in the same run: the forward (one sampling
 * step) and the train step (fwd + bwd + clipping + AdamW) of a preset at a batch size, with the SAME
 * weights. First the two forwards are compared on the same inputs; then, for `--rounds` rounds, each
 * side times `--reps` calls in turn (jax-js, peer, jax-js, peer, …), so both see the same load. Each
 * round gives a ratio of medians; the JSON reports the median ratio and its spread over rounds.
 * Without PyTorch it says so in one line and prints no ratio. The 1-minute load average is recorded:
 * when it exceeds the core count, PyTorch's OpenMP threads (which spin and wait on each other) slow
 * down many times more than jax-js, and the ratio is flagged as not representative.
 * Run: `npx tsx bench/model.ts [--preset small] [--config configs/sft-base.yaml] [--batch 32] [--rounds 5] [--reps 3]`
 * (`--config`: an SFT config whose `model:` fields override the preset's, e.g. the shipped base's width).
 */
import { availableParallelism, loadavg } from "node:os";
import { initJax, jax, np, type JaxArray } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { initTrainState, makeTrainStep } from "../src/runtime/train-step.js";
import { buildModel, headDim, linearModules, presetConfig, sequenceLength, tokenizeBatch, type EditModel } from "../src/model/index.js";
import { resolveSftConfig, sftModelConfig } from "../src/sft/index.js";
import { startPeer } from "./peer.js";
import { median, modelBenchArgs, round, spread } from "./stats.js";

/** Forward FLOPs (multiply-add = 2) of matmuls: every Linear, attention products, RoPE rotation, text encoder. */
function forwardFlops(m: EditModel, B: number): number {
  const c = m.config;
  const T = sequenceLength(c);
  const N = m.tokensPerImage;
  const S = c.textSlots;
  const W = c.textMaxWords;
  const rowsOf = (name: string): number => {
    if (name === "x_embedder") return B * 2 * N;
    if (name === "context_embedder") return B * S;
    if (name.startsWith("time_text_embed") || name.endsWith("norm1.linear") || name.endsWith("norm1_context.linear") || name.endsWith("norm.linear") || name === "norm_out.linear") return B;
    if (name === "proj_out") return B * N;
    if (name.startsWith("single_transformer_blocks")) return B * T;
    if (/\.(to_q|to_k|to_v|to_out\.0|ff\.net\.0\.proj|ff\.net\.2)$/.test(name)) return B * 2 * N;
    return B * S; // text-stream Linears of double blocks
  };
  let flops = linearModules(c).reduce((a, l) => a + 2 * rowsOf(l.name) * l.inF * l.outF, 0);
  const layers = c.doubleBlocks + c.singleBlocks;
  const hd = headDim(c);
  flops += layers * (2 * 2 * B * c.heads * T * T * hd); // QKᵀ and AV
  flops += layers * 2 * (2 * B * T * c.heads * hd * hd); // RoPE rotation matmul on q and k
  const D = c.jointAttentionDim;
  flops += 2 * B * W * (c.vocabulary?.length ?? 200) * D + 2 * 2 * B * W * S * D;
  return flops;
}

async function main(): Promise<void> {
  await initJax();
  const { preset, B, rounds, reps, config } = modelBenchArgs();
  const c = config ? sftModelConfig(resolveSftConfig(config, { preset }), config) : presetConfig(preset);
  const m = buildModel(c);
  const baseHost = m.initBase(0);
  const rng = new Rng(0);
  const shape = [B, m.tokensPerImage, m.tokenDim];
  const n = B * m.tokensPerImage * m.tokenDim;
  const host = { x0: rng.normalArray(n, 0.5), x1: rng.normalArray(n), ref: rng.normalArray(n, 0.5), t: rng.uniformArray(B), text: tokenizeBatch(Array.from({ length: B }, () => "raise the left arm and turn the head"), c) };
  const batch = (): [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray] => [np.array(host.x0, { shape }), np.array(host.x1, { shape }), np.array(host.t), np.array(host.ref, { shape }), np.array(host.text, { shape: [B, c.textMaxWords], dtype: np.int32 })];
  const loss = (p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray): JaxArray => {
    const tb = t.ref.reshape([B, 1, 1]);
    const xt = x0.ref.mul(np.subtract(1, tb.ref)).add(x1.ref.mul(tb));
    return np.square(m.velocity(p, null, xt, t, ref, text).sub(x1.sub(x0))).mean();
  };
  const base = np.array(baseHost);
  const fwd = jax.jit((p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => {
    x1.dispose();
    return m.velocity(p, null, x0, t, ref, text);
  });
  const trainer = makeTrainStep(loss as (p: JaxArray, ...a: JaxArray[]) => JaxArray, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 });
  const state = initTrainState(baseHost);
  const jaxForward = async (): Promise<void> => void (await fwd(base.ref, ...batch()).data());
  const jaxTrain = async (): Promise<void> => void (await trainer.step(state, batch()));
  const timeJax = async (f: () => Promise<void>): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return ms;
  };

  let t0 = performance.now();
  const v = (await fwd(base.ref, ...batch()).data()) as Float32Array;
  const fwdFirst = performance.now() - t0;
  t0 = performance.now();
  await jaxTrain();
  const stepFirst = performance.now() - t0;
  await jaxForward();
  await jaxTrain();

  const peer = await startPeer(m, B, baseHost);
  let agreement: Record<string, number> | null = null;
  if (!("reason" in peer)) {
    const pv = await peer.velocity({ xt: host.x0, t: host.t, ref: host.ref, ids: host.text }, B);
    let maxDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < v.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(v[i]! - pv[i]!));
      maxAbs = Math.max(maxAbs, Math.abs(pv[i]!));
    }
    agreement = { maxAbsDiff: maxDiff, maxAbsVelocity: round(maxAbs, 4) };
  } else process.stderr.write(`${peer.reason}\n`);

  const loadBefore = loadavg()[0]!;
  const contended = loadBefore > availableParallelism();
  if (contended && !("reason" in peer))
    process.stderr.write(`bench/model: load average ${loadBefore.toFixed(1)} on ${availableParallelism()} cores before the timed rounds; PyTorch's OpenMP threads slow down far more than jax-js on an oversubscribed machine, so this ratio flatters jax-js\n`);
  const jaxMs = { forward: [] as number[], trainStep: [] as number[] };
  const peerMs = { forward: [] as number[], trainStep: [] as number[] };
  const ratios = { forward: [] as number[], trainStep: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    for (const [key, op, f] of [["forward", "forward", jaxForward], ["trainStep", "train", jaxTrain]] as const) {
      const mine = median(await timeJax(f));
      jaxMs[key].push(mine);
      if ("reason" in peer) continue;
      const theirs = median(await peer.time(op, reps));
      peerMs[key].push(theirs);
      ratios[key].push(mine / theirs);
    }
  }
  const gflop = forwardFlops(m, B) / 1e9;
  const hasPeer = !("reason" in peer);
  const result = {
    bench: "model",
    preset,
    config,
    hidden: c.hidden,
    batch: B,
    sequenceLength: sequenceLength(c),
    parameters: m.baseSize,
    gflopForward: round(gflop, 3),
    rounds,
    repsPerRound: reps,
    jaxjsMs: { forward: spread(jaxMs.forward), trainStep: spread(jaxMs.trainStep) },
    firstCallMs: { forward: round(fwdFirst, 0), trainStep: round(stepFirst, 0) },
    gflopsPerSecond: { forward: round(gflop / (median(jaxMs.forward) / 1e3)), trainStep: round((3 * gflop) / (median(jaxMs.trainStep) / 1e3)) },
    peer: hasPeer ? { ...peer.info, forwardAgreement: agreement, ms: { forward: spread(peerMs.forward), trainStep: spread(peerMs.trainStep) } } : null,
    ratioToPytorch: hasPeer ? { forward: spread(ratios.forward, 2), trainStep: spread(ratios.trainStep, 2) } : null,
    loadAverage1m: { before: round(loadBefore, 2), after: round(loadavg()[0]!, 2), cores: availableParallelism(), contended },
    note: "ratio = jax-js / PyTorch, per round from medians of alternating runs; wall-clock on a shared machine",
  };
  if (hasPeer) peer.close();
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(0);
}

void main();
