/**
 * The update of one epoch (DESIGN §2): the units (valid samples, or preference pairs) are split into
 * `stepsPerEpoch` optimizer steps; a step's rows (unit × training timestep, or the recorded SDE steps
 * the recipe trains) run in fixed-size micro-batches (batch.ts), each accumulating its gradient in one
 * jit, and end in one AdamW jit (the no-gradient forwards of v_old and v_ref run on the rollouts' forward).
 * A NaN loss or gradient skips the step (counted). After each step the
 * eval EMA moves and the recipe's `afterStep` may make θ the new reference.
 */
import { np, type JaxArray } from "../../runtime/jax.js";
import type { Rng } from "../../runtime/rng.js";
import { adamwStepScalars, type AdamWHyper } from "../../runtime/adamw.js";
import { fromFloat32 } from "../../runtime/refs.js";
import type { ResolvedAlgorithm } from "../recipe.js";
import type { Forward } from "../../model/index.js";
import { buildMicroBatch, type BatchSources, type Row } from "./batch.js";
import type { TrainConfig } from "./config.js";
import type { Dims, Prepared, Sample } from "./epoch-data.js";
import type { StepStats } from "./metrics.js";
import type { Programs } from "./programs.js";
import { planRowNoise } from "./row-noise.js";
import type { RunState } from "./run-state.js";
import type { EpochSignal } from "./signal.js";

/** Arrays that live on the device for the whole run. */
export interface DeviceState {
  base: JaxArray;
  theta: JaxArray;
  m: JaxArray;
  v: JaxArray;
}

export interface UpdateInput {
  config: TrainConfig;
  algorithm: ResolvedAlgorithm;
  hp: AdamWHyper;
  programs: Programs;
  dev: DeviceState;
  state: RunState;
  rng: Rng;
  dims: Dims;
  samples: readonly Sample[];
  signal: EpochSignal;
  prepared: readonly Prepared[];
  /** The sampler's timesteps (the grid without its final time). */
  gridTimes: readonly number[];
  /** The run's forward (its base set) for the no-gradient forwards. */
  forward: Forward;
}

/** The epoch's optimizer steps; returns their statistics. */
export async function updateEpoch(c: UpdateInput): Promise<StepStats[]> {
  const { config, algorithm, programs, dev, state, samples, signal } = c;
  const inputs = algorithm.loss.inputs;
  const fraction = config.sampling.timestepFraction;
  const units: number[] = inputs === "pairs" ? signal.pairs.map((_, k) => k) : samples.map((_, i) => i).filter((i) => signal.mask[i] === 1);
  const noiseMode = inputs === "samples" || inputs === "labelled" ? config.sampling.trainNoise : "per-row";
  const plan = planRowNoise(units, (u) => samples[u]!.group, c.gridTimes, fraction, noiseMode, c.rng, c.dims.NP);
  const rollout = algorithm.rollout;
  const sources: BatchSources = {
    forward: c.forward,
    dims: c.dims,
    inputs,
    samples,
    signal,
    prepared: c.prepared,
    plan,
    noiseMode,
    rng: c.rng,
    old: algorithm.needs.old ? state.old.vector : null,
    refLora: algorithm.needs.ref ? (state.refLora ?? new Float32Array(state.theta.length)) : null,
  };
  const stepCount = config.stepsPerEpoch;
  const MB = config.microBatch;
  const out: StepStats[] = [];

  for (let s = 0; s < stepCount; s++) {
    const chunk = units.slice(Math.floor((s * units.length) / stepCount), Math.floor(((s + 1) * units.length) / stepCount));
    if (chunk.length === 0) continue;
    const rows: Row[] = [];
    if (rollout.kind === "sde") {
      for (const u of chunk) {
        const recorded = samples[u]!.steps ?? [];
        for (const j of rollout.trainedSteps(recorded.length, fraction, c.rng)) rows.push({ unit: u, t: recorded[j]!.t, step: recorded[j]! });
      }
    } else {
      for (let j = 0; j < plan.K; j++) for (const u of chunk) rows.push({ unit: u, t: plan.times(u)[j]!, j });
    }
    const w = 1 / rows.length;
    let acc = np.zeros([state.theta.length], { dtype: np.float32 });
    const statsArrays: JaxArray[] = [];
    const realRows: number[] = [];
    for (let r0 = 0; r0 < rows.length; r0 += MB) {
      const mb = Array.from({ length: MB }, (_, k) => rows[Math.min(r0 + k, rows.length - 1)]!);
      const real = Math.min(MB, rows.length - r0);
      realRows.push(real);
      const batch = await buildMicroBatch(sources, mb, real, w);
      // One program at a time: a wasm heap never shrinks, so concurrent programs would raise its peak for good.
      for (const a of Object.values(batch) as JaxArray[]) await a.blockUntilReady();
      const [stats, next] = programs.accumulate(dev.theta.ref, acc, dev.base.ref, batch);
      await next.blockUntilReady();
      acc = next;
      statsArrays.push(stats);
    }
    const stats: Float32Array[] = [];
    for (const a of statsArrays) stats.push(Float32Array.from(await a.data()));
    out.push(await optimizerStep(c, acc, stepStats(programs, stats, realRows, rows.length, MB)));
  }
  return out;
}

type LossStats = Pick<StepStats, "loss" | "scalars" | "rows">;

/** The loss (sum over micro-batches), row-weighted scalar diagnostics and per-row ones of one step. */
function stepStats(programs: Programs, stats: readonly Float32Array[], realRows: readonly number[], rowCount: number, MB: number): LossStats {
  const layout = programs.layout();
  const loss = stats.reduce((a, st) => a + (st[0] as number), 0);
  const scalars: Record<string, number> = {};
  layout.scalars.forEach((k, j) => {
    scalars[k] = stats.reduce((a, st, i) => a + (st[1 + j] as number) * (realRows[i] as number), 0) / rowCount;
  });
  const rows: Record<string, number[]> = {};
  layout.rows.forEach((k, j) => {
    const at = 1 + layout.scalars.length + j * MB;
    rows[k] = stats.flatMap((st, i) => Array.from(st.subarray(at, at + (realRows[i] as number))));
  });
  return { loss, scalars, rows };
}

/** AdamW on the accumulated gradient (consumed), unless the loss or the gradient is not finite. */
async function optimizerStep(c: UpdateInput, acc: JaxArray, s: LossStats): Promise<StepStats> {
  const { dev, state, programs } = c;
  let gradNorm = Number.NaN;
  let skipped = !Number.isFinite(s.loss);
  if (skipped) {
    acc.dispose();
  } else {
    const scal = fromFloat32(adamwStepScalars(c.hp, state.step + 1));
    const [p2, m2, v2, gn] = programs.adamw(dev.theta.ref, acc, dev.m.ref, dev.v.ref, scal);
    gradNorm = Number((await gn.data())[0]);
    if (Number.isFinite(gradNorm)) {
      dev.theta.dispose();
      dev.m.dispose();
      dev.v.dispose();
      dev.theta = p2;
      dev.m = m2;
      dev.v = v2;
      state.theta = Float32Array.from(await dev.theta.ref.data());
      state.ema.update(state.theta, state.step); // eval EMA after optimizer step k = step
      state.step += 1;
      if (c.algorithm.afterStep(state.step).referenceToTheta) state.refLora = Float32Array.from(state.theta);
    } else {
      for (const a of [p2, m2, v2]) a.dispose();
      skipped = true;
    }
  }
  if (skipped) {
    state.nanStreak += 1;
    state.nanSteps += 1;
  } else {
    state.nanStreak = 0;
  }
  return { ...s, gradNorm, skipped };
}
