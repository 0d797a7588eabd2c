/**
 * Rollouts of one batch of samples (DESIGN §2): deterministic ODE sampling from the old policy for the
 * forward-process algorithms (only the clean x0 is kept), or Flow-SDE / CPS sampling with per-step
 * transitions and log-probs for the recipes that train on SDE steps. The model runs on the run's forward
 * engine (model/forward.ts) with the sampling policy's weights already set; the sampler is the same
 * either way. The batch size is fixed (the caller pads), so nothing recompiles. Results come back to the host.
 */
import { np, type JaxArray } from "../../runtime/jax.js";
import { sampleOde, sampleSde, type OdeSolver, type SdeKind } from "../../flow/index.js";
import type { Forward } from "../../model/index.js";

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

/** The sampling policy: the forward with its weights set, and the token shape [N, P] of one image. */
export interface Policy {
  forward: Forward;
  tokenShape: [number, number];
}

export async function rolloutOde(d: Policy, b: RolloutBatch, grid: readonly number[], solver: OdeSolver): Promise<RolloutResult> {
  const c = d.forward.bind(b);
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

export async function rolloutSde(d: Policy, b: RolloutBatch, grid: readonly number[], o: SdeRolloutOptions): Promise<RolloutResult> {
  const c = d.forward.bind(b);
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
