/**
 * Benchmark of the `small` preset at batch 32 (DESIGN §9): forward, forward+backward, and the full
 * train step (fwd + bwd + AdamW in one jit), medians after warm-up, plus achieved GFLOP/s and the
 * ratio to the PyTorch reference (149 ms per train step, 75 ms forward). Also times the main pieces
 * in isolation to show where the time goes. Prints JSON. Run: `npx tsx bench/model.ts [--batch 32]
 * [--reps 5] [--preset small] [--profile]`. `--profile` re-runs one train step in a child process
 * with jax-js single-threaded (no Worker, so each kernel runs synchronously and its traced duration
 * is its real time) and adds the kernel-time breakdown. Numbers are wall-clock and noisy when other
 * processes share the CPU.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
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

interface KernelTrace {
  name: string;
  duration: number;
  detail?: { devtools?: { properties?: [string, string][] } };
}

/** Kernel-time breakdown of one traced train step (single-threaded: traced durations are real). */
function summariseTrace(entries: KernelTrace[], wallMs: number): unknown {
  const cats = new Map<string, number>();
  const top = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const e of entries) {
    const props = Object.fromEntries(e.detail?.devtools?.properties ?? []);
    const exp = props.exp ?? props.inputShapes ?? "";
    const reduction = props.reduction;
    // A sum-reduction over a product of two inputs is a matmul (jax-js lowers matmul to such kernels).
    const cat = !e.name.startsWith("Kernel") ? `routine:${e.name}` : reduction ? (/^Add/.test(reduction) && /GV_0[^*]*\* GV_1/.test(exp) ? "matmul" : "other reductions") : "elementwise";
    cats.set(cat, (cats.get(cat) ?? 0) + e.duration);
    const shapes = [...exp.matchAll(/GV_\d<float32>\{([\d,]+):/g)].map((m) => `[${m[1]}]`).slice(0, 2).join("·");
    const key = `${cat} ${reduction ?? ""} ${shapes}`;
    const t = top.get(key) ?? { ms: 0, n: 0 };
    t.ms += e.duration;
    t.n++;
    top.set(key, t);
    total += e.duration;
  }
  return {
    wallMs: +wallMs.toFixed(0),
    kernelMs: +total.toFixed(0),
    kernels: entries.length,
    shareByKind: Object.fromEntries([...cats].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, `${v.toFixed(0)} ms (${((100 * v) / total).toFixed(0)}%)`])),
    topKernels: [...top].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([k, v]) => `${v.ms.toFixed(1)} ms ×${v.n} ${k}`),
  };
}

function profileInChild(): unknown {
  const noWorker = 'data:text/javascript,Object.defineProperty(globalThis,"Worker",{get:()=>undefined,set:()=>{},configurable:true})';
  const r = spawnSync(process.execPath, ["--import", noWorker, "--import", "tsx", fileURLToPath(import.meta.url), ...process.argv.slice(2).filter((a) => a !== "--profile"), "--profile-child"], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) return { error: (r.stderr || "profile child failed").split("\n")[0] };
  return JSON.parse(r.stdout) as unknown;
}

async function main(): Promise<void> {
  await initJax();
  const profileChild = process.argv.includes("--profile-child");
  const preset = arg("preset", "small");
  const B = Number(arg("batch", "32"));
  const reps = Number(arg("reps", "5"));
  const c = presetConfig(preset);
  const m = buildModel(c);
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
  if (profileChild) {
    const trainer = makeTrainStep(loss as (p: JaxArray, ...a: JaxArray[]) => JaxArray, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 });
    const state = initTrainState(m.initBase(0));
    await trainer.step(state, batch());
    await trainer.step(state, batch());
    performance.clearMeasures();
    jax.profiler.startTrace();
    const start = performance.now();
    await trainer.step(state, batch());
    const wall = performance.now() - start;
    jax.profiler.stopTrace();
    process.stdout.write(JSON.stringify(summariseTrace(performance.getEntriesByType("measure") as unknown as KernelTrace[], wall)));
    process.exit(0);
  }
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
  const r = (shape: number[]): JaxArray => np.array(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0.5), { shape });
  const inputs = { q: r([B, T, H, hd]), k: r([B, T, H, hd]), v: r([B, T, H, hd]), x: r([B * T, D]), wOutIn: r([M, D]), wInOut: r([D, M]), h: r([B, T, M]), xd: r([B, T, D]) };
  await jax.blockUntilReady(Object.values(inputs));
  const attn = jax.jit((q: JaxArray, k: JaxArray, v: JaxArray) => attention(q, k, v));
  const lin = jax.jit((x: JaxArray, w: JaxArray) => np.matmul(x, w.transpose()));
  const linT = jax.jit((x: JaxArray, w: JaxArray) => np.matmul(x, w));
  const geluJ = jax.jit((x: JaxArray) => gelu(x));
  const lnJ = jax.jit((x: JaxArray) => layerNorm(x));
  const { q, k, v, x, wOutIn, wInOut, h, xd } = inputs;
  const pieces = {
    attentionCore: await median(reps, () => call(() => attn(q.ref, k.ref, v.ref))),
    linearMlpUp_WoutIn: await median(reps, () => call(() => lin(x.ref, wOutIn.ref))),
    linearMlpUp_WinOut: await median(reps, () => call(() => linT(x.ref, wInOut.ref))),
    gelu: await median(reps, () => call(() => geluJ(h.ref))),
    layerNorm: await median(reps, () => call(() => lnJ(xd.ref))),
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
    ...(process.argv.includes("--profile") ? { profileTrainStepSingleThread: profileInChild() } : {}),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(0);
}

void main();
