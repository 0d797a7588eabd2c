/**
 * Benchmark of the `small` preset at batch 32 (DESIGN §9): forward, forward+backward, and the full
 * train step (fwd + bwd + AdamW in one jit), medians after warm-up, plus achieved GFLOP/s and the
 * ratio to the PyTorch reference (149 ms per train step, 75 ms forward). Also times the main pieces
 * in isolation to show where the time goes. Prints JSON. Run: `npx tsx bench/model.ts [--batch 32]
 * [--reps 5] [--preset small]`. Numbers are wall-clock and noisy when other processes share the CPU.
 */
import { initJax, jax, np, type JaxArray } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { initTrainState, makeTrainStep } from "../src/runtime/train-step.js";
import { buildModel, headDim, linearModules, mlpDim, presetConfig, sequenceLength, tokenizeBatch, type EditModel } from "../src/model/index.js";
import { attention } from "../src/model/attention.js";
import { gelu, layerNorm } from "../src/model/layers.js";

const PYTORCH = { trainStepMs: 149, forwardMs: 75, gflopForwardB32: 4.63 };

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

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

async function median(reps: number, f: () => Promise<void>): Promise<number> {
  await f();
  await f();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function main(): Promise<void> {
  await initJax();
  const preset = arg("preset", "small");
  const B = Number(arg("batch", "32"));
  const reps = Number(arg("reps", "5"));
  const c = presetConfig(preset);
  const m = buildModel(c);
  const rng = new Rng(0);
  const shape = [B, m.tokensPerImage, m.tokenDim];
  const n = B * m.tokensPerImage * m.tokenDim;
  const host = { x0: rng.normalArray(n, 0.5), x1: rng.normalArray(n), ref: rng.normalArray(n, 0.5), t: rng.uniformArray(B), text: tokenizeBatch(Array.from({ length: B }, () => "raise the left arm and turn the head"), c) };
  const batch = (): JaxArray[] => [np.array(host.x0, { shape }), np.array(host.x1, { shape }), np.array(host.t), np.array(host.ref, { shape }), np.array(host.text, { shape: [B, c.textMaxWords], dtype: np.int32 })];
  const loss = (p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray): JaxArray => {
    const tb = t.ref.reshape([B, 1, 1]);
    const xt = x0.ref.mul(np.subtract(1, tb.ref)).add(x1.ref.mul(tb));
    return np.square(m.velocity(p, null, xt, t, ref, text).sub(x1.sub(x0))).mean();
  };
  const base = np.array(m.initBase(0));
  const fwd = jax.jit((p: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => {
    x1.dispose();
    return m.velocity(p, null, x0, t, ref, text);
  });
  const fwdBwd = jax.jit((p: JaxArray, ...a: JaxArray[]) => {
    const [l, g] = jax.valueAndGrad(loss)(p, ...(a as [JaxArray, JaxArray, JaxArray, JaxArray, JaxArray]));
    return [l, g];
  });
  const call = async (f: () => JaxArray[] | JaxArray): Promise<void> => {
    const out = f();
    for (const o of Array.isArray(out) ? out : [out]) await o.data();
  };
  let t0 = performance.now();
  await call(() => fwd(base.ref, ...batch()));
  const fwdFirst = performance.now() - t0;
  const forwardMs = await median(reps, () => call(() => fwd(base.ref, ...batch())));
  const fwdBwdMs = await median(reps, () => call(() => fwdBwd(base.ref, ...batch()) as JaxArray[]));
  const trainer = makeTrainStep(loss as (p: JaxArray, ...a: JaxArray[]) => JaxArray, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 });
  const state = initTrainState(m.initBase(0));
  t0 = performance.now();
  await trainer.step(state, batch());
  const stepFirst = performance.now() - t0;
  const trainStepMs = await median(reps, async () => void (await trainer.step(state, batch())));

  // Pieces in isolation (forward only), same shapes as inside the model.
  const T = sequenceLength(c);
  const H = c.heads;
  const hd = headDim(c);
  const D = c.hidden;
  const M = mlpDim(c);
  const r = (k: number): JaxArray => np.array(rng.normalArray(k, 0.5));
  const qkv = (): JaxArray[] => [r(B * T * D).reshape([B, T, H, hd]), r(B * T * D).reshape([B, T, H, hd]), r(B * T * D).reshape([B, T, H, hd])];
  const attn = jax.jit((q: JaxArray, k: JaxArray, v: JaxArray) => attention(q, k, v));
  const lin = jax.jit((x: JaxArray, w: JaxArray) => np.matmul(x, w.transpose()));
  const linT = jax.jit((x: JaxArray, w: JaxArray) => np.matmul(x, w));
  const geluJ = jax.jit((x: JaxArray) => gelu(x));
  const lnJ = jax.jit((x: JaxArray) => layerNorm(x));
  const pieces = {
    attentionCoreMs: await median(reps, () => call(() => attn(...(qkv() as [JaxArray, JaxArray, JaxArray])))),
    linearMlpUpMs_WoutIn: await median(reps, () => call(() => lin(r(B * T * D).reshape([B * T, D]), r(M * D).reshape([M, D])))),
    linearMlpUpMs_WinOut: await median(reps, () => call(() => linT(r(B * T * D).reshape([B * T, D]), r(M * D).reshape([D, M])))),
    geluMs: await median(reps, () => call(() => geluJ(r(B * T * M).reshape([B, T, M])))),
    layerNormMs: await median(reps, () => call(() => lnJ(r(B * T * D).reshape([B, T, D])))),
  };
  const flops = forwardFlops(m, B);
  const gflop = flops / 1e9;
  const result = {
    preset,
    batch: B,
    sequenceLength: T,
    parameters: m.baseSize,
    gflopForward: +gflop.toFixed(3),
    forwardMs: +forwardMs.toFixed(1),
    forwardBackwardMs: +fwdBwdMs.toFixed(1),
    trainStepMs: +trainStepMs.toFixed(1),
    firstCallMs: { forward: +fwdFirst.toFixed(0), trainStep: +stepFirst.toFixed(0) },
    gflopsPerSecond: { forward: +(gflop / (forwardMs / 1e3)).toFixed(1), forwardBackward: +((3 * gflop) / (fwdBwdMs / 1e3)).toFixed(1), trainStep: +((3 * gflop) / (trainStepMs / 1e3)).toFixed(1) },
    pytorchReference: PYTORCH,
    ratioToPytorch: B === 32 && preset === "small" ? { trainStep: +(trainStepMs / PYTORCH.trainStepMs).toFixed(2), forward: +(forwardMs / PYTORCH.forwardMs).toFixed(2) } : null,
    piecesForwardMs: Object.fromEntries(Object.entries(pieces).map(([k, v]) => [k, +v.toFixed(2)])),
    note: "wall-clock medians on a shared 2-core machine; noisy when other processes run",
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(0);
}

void main();
