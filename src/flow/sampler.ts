/**
 * Sampling drivers over a time grid (schedule.ts): deterministic ODE solvers, and stochastic
 * rollouts (Flow-SDE or CPS) that record, per stochastic step, what a GRPO trainer needs to
 * recompute the step's log-probability under new parameters (`sdeStepLogProb` / `cpsStepLogProb`).
 *
 * A stochastic window (Flow-GRPO-Fast / MixGRPO) makes only steps [start, start + size) stochastic;
 * every other step is an Euler ODE step. Noise comes from jax-js PRNG keys, one split per grid
 * step, so a rollout is a pure function of (x1, key) and the window does not change the noise of
 * the steps it keeps. Each step is awaited before the next is queued (a long lazy chain of
 * eager jax-js ops costs super-linear time).
 */
import { np, random, type JaxArray } from "../runtime/jax.js";
import { cpsTransition } from "./cps.js";
import { sampleDpm2m } from "./dpm.js";
import { eulerStep, sampleEuler } from "./euler.js";
import { gaussianLogProb, type LogProbReduction } from "./gaussian.js";
import { flowSdeTransition, type Transition } from "./sde.js";
import type { VelocityFn } from "./velocity.js";

export type OdeSolver = "euler" | "dpm2m";
export type SdeKind = "flow-sde" | "cps";

/** Deterministic sampling from noise `x1` (at grid[0] = 1) down the grid. Consumes `x1`. */
export function sampleOde(
  velocity: VelocityFn,
  x1: JaxArray,
  grid: readonly number[],
  solver: OdeSolver,
): Promise<JaxArray> {
  return solver === "euler" ? sampleEuler(velocity, x1, grid) : sampleDpm2m(velocity, x1, grid);
}

export interface SdeOptions {
  kind: SdeKind;
  /** a: Flow-SDE σ_t = a·sqrt(t/(1 − t)); CPS std = t'·sin(aπ/2). */
  noiseLevel: number;
  /** Stochastic steps [start, start + size) of the grid; all steps when omitted. */
  window?: { start: number; size: number };
  /** How log-probs are reduced over non-batch dimensions (default "mean", as Flow-GRPO). */
  reduction?: LogProbReduction;
}

/** One recorded stochastic step: x_{i+1} drawn from the transition at x_i, and its log-prob [B]. */
export interface SdeStepRecord {
  index: number;
  t: number;
  tNext: number;
  xt: JaxArray;
  xNext: JaxArray;
  logProb: JaxArray;
}

export interface SdeRollout {
  x0: JaxArray;
  /** The stochastic steps with a non-degenerate transition (std > 0), in grid order. */
  steps: SdeStepRecord[];
}

/** The transition of the chosen SDE kind. Consumes `v` and `xt`. */
export function sdeTransition(kind: SdeKind, v: JaxArray, xt: JaxArray, t: number, tNext: number, noiseLevel: number): Transition {
  return kind === "flow-sde"
    ? flowSdeTransition(v, xt, t, tNext, noiseLevel)
    : cpsTransition(v, xt, t, tNext, noiseLevel);
}

/** Whether a step's transition has std > 0 (otherwise it is deterministic and has no density). */
function isStochastic(kind: SdeKind, noiseLevel: number, tNext: number): boolean {
  return noiseLevel > 0 && (kind === "flow-sde" || tNext > 0);
}

/**
 * Stochastic rollout from `x1` down `grid`. Consumes `x1` and `key`. The caller owns every array
 * in the result (dispose `x0` and each record's `xt`, `xNext`, `logProb`).
 */
export async function sampleSde(
  velocity: VelocityFn,
  x1: JaxArray,
  grid: readonly number[],
  key: JaxArray,
  opts: SdeOptions,
): Promise<SdeRollout> {
  const n = grid.length - 1;
  const { start = 0, size = n } = opts.window ?? {};
  const keys = np.split(random.split(key, n), n, 0);
  const steps: SdeStepRecord[] = [];
  let x = x1;
  for (let i = 0; i < n; i++) {
    const t = grid[i] as number;
    const tNext = grid[i + 1] as number;
    const k = (keys[i] as JaxArray).reshape([2]);
    const v = await velocity(x.ref, t);
    if (i < start || i >= start + size) {
      k.dispose();
      x = eulerStep(x, v, t, tNext);
      await x.blockUntilReady();
      continue;
    }
    const xt = x;
    const { mean, std } = sdeTransition(opts.kind, v, xt.ref, t, tNext, opts.noiseLevel);
    const xNext = mean.ref.add(random.normal(k, xt.shape).mul(std.ref));
    if (isStochastic(opts.kind, opts.noiseLevel, tNext)) {
      const logProb = gaussianLogProb(xNext.ref, mean, std, opts.reduction);
      steps.push({ index: i, t, tNext, xt, xNext: xNext.ref, logProb });
    } else {
      mean.dispose();
      std.dispose();
      xt.dispose();
    }
    x = xNext;
    await x.blockUntilReady();
  }
  return { x0: x, steps };
}
