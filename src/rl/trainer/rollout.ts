/**
 * Rollouts of one batch of samples (DESIGN §2): deterministic ODE sampling from the old policy for the
 * forward-process algorithms (only the clean x0 is kept), or Flow-SDE / CPS sampling with per-step
 * transitions and log-probs for the recipes that train on SDE steps. The model runs through the trainer's one jitted velocity
 * program, or, where the config asks for it (`sampling.engine: onnx`), through the model's ONNX export on
 * onnxruntime-node with the sampling policy's weights already handed over; the sampler is the same either
 * way. The batch size is fixed (the caller pads), so nothing recompiles. Results come back to the host.
 */
import { np, type JaxArray } from "../../runtime/jax.js";
import { sampleOde, sampleSde, type OdeSolver, type SdeKind, type VelocityFn } from "../../flow/index.js";
import { onnxVelocityFn, type OnnxVelocity } from "../../model/index.js";
import type { Programs } from "./programs.js";

export interface RolloutBatch {
  B: number;
  /** [B, N, P] reference tokens. */
  ref: Float32Array;
  /** [B, W] word ids. */
  text: Int32Array;
  /** [B, N, P] starting noise x1. */
  x1: Float32Array;
}

/** One recorded SDE transition of one sample, on the host. */
export interface StepRecord {
  t: number;
  tNext: number;
  xt: Float32Array;
  xNext: Float32Array;
  logp: number;
}

export interface RolloutResult {
  /** [B, N, P] clean samples. */
  x0: Float32Array;
  /** Per sample, its recorded SDE transitions (SDE rollouts only). */
  steps: StepRecord[][] | null;
}

/** The sampling policy on one engine: the jitted program with the base and LoRA vectors, or the ONNX session holding them. */
export type Policy = { engine: "jax"; programs: Programs; base: JaxArray; lora: JaxArray } | { engine: "onnx"; onnx: OnnxVelocity };

type Device = Policy & { tokenShape: [number, number]; textWords: number };

/** The batch's velocity with its conditioning closed over; `done` frees the conditioning arrays. */
function conditioning(d: Device, b: RolloutBatch): { velocity: VelocityFn; done(): void } {
  if (d.engine === "onnx") return { velocity: onnxVelocityFn(d.onnx, b.ref, b.text, [b.B, ...d.tokenShape]), done: () => {} };
  const ref = np.array(b.ref, { shape: [b.B, ...d.tokenShape] });
  const text = np.array(b.text, { shape: [b.B, d.textWords], dtype: np.int32 });
  const velocity = (x: JaxArray, t: number): JaxArray =>
    d.programs.velocity(d.base.ref, d.lora.ref, x, np.full([b.B], t, { dtype: np.float32 }), ref.ref, text.ref);
  return {
    velocity,
    done: () => {
      ref.dispose();
      text.dispose();
    },
  };
}

export async function rolloutOde(d: Device, b: RolloutBatch, grid: readonly number[], solver: OdeSolver): Promise<RolloutResult> {
  const c = conditioning(d, b);
  const x0 = await sampleOde(c.velocity, np.array(b.x1, { shape: [b.B, ...d.tokenShape] }), grid, solver);
  c.done();
  const data = await x0.data();
  return { x0: Float32Array.from(data), steps: null };
}

export interface SdeRolloutOptions {
  kind: SdeKind;
  noiseLevel: number;
  window?: { start: number; size: number };
  key: JaxArray;
}

export async function rolloutSde(d: Device, b: RolloutBatch, grid: readonly number[], o: SdeRolloutOptions): Promise<RolloutResult> {
  const c = conditioning(d, b);
  const r = await sampleSde(c.velocity, np.array(b.x1, { shape: [b.B, ...d.tokenShape] }), grid, o.key, { kind: o.kind, noiseLevel: o.noiseLevel, ...(o.window ? { window: o.window } : {}) });
  c.done();
  const x0 = Float32Array.from(await r.x0.data());
  const per = d.tokenShape[0] * d.tokenShape[1];
  const steps: StepRecord[][] = Array.from({ length: b.B }, () => []);
  for (const s of r.steps) {
    const xt = Float32Array.from(await s.xt.data());
    const xNext = Float32Array.from(await s.xNext.data());
    const logp = await s.logProb.data();
    for (let i = 0; i < b.B; i++) {
      steps[i]!.push({ t: s.t, tNext: s.tNext, xt: xt.slice(i * per, (i + 1) * per), xNext: xNext.slice(i * per, (i + 1) * per), logp: Number(logp[i]) });
    }
  }
  return { x0, steps };
}
