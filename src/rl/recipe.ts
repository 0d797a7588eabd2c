/**
 * An algorithm as a recipe (DESIGN §4): it declares what it needs and the trainer asks. A recipe has
 * its config schema and, from a validated config:
 * - `loss`: its loss, tagged by the input type it takes (inputs.ts);
 * - `needs`: the extra forwards (v_old of the old policy, v_ref of the reference; `referenceIsOld`: the
 *   old policy is the reference, so v_old stands in for v_ref);
 * - `signal`: how the combined rewards s become what the loss takes (advantages.ts). How the judge's
 *   objectives are combined into s is not the algorithm's: it is the run's `reward.recipe` (Eq. 12–13
 *   "standardized" for every method by default, the weighted "raw-sum" as the ablation arm; DESIGN §4);
 * - `oldDecay`: the old policy's EMA decay type (0: the old policy is θ, on-policy);
 * - `rollout`: ODE rollouts by default; SDE rollouts with recorded log-probs, an optional window of
 *   SDE steps, and which recorded steps are trained;
 * - `groupFilter`: a stateful rule that masks groups of an epoch and may exclude groups from sampling
 *   (saved with the run state);
 * - `afterStep`: what happens after optimizer step n (e.g. the reference becomes θ).
 * `defineRecipe` binds all of that to a config; the registry (algorithms.ts) holds the recipes.
 */
import type { z } from "zod";
import type { JaxArray } from "../runtime/jax.js";
import type { Rng } from "../runtime/rng.js";
import type { SignalFn } from "./advantages.js";
import type { DecayType } from "./ema.js";
import type { ForwardInputs, LabelledInputs, LossResult, PairInputs, SdeInputs } from "./inputs.js";

type AnyLossResult = LossResult<Record<string, JaxArray>>;

/** A loss with its config bound, tagged by its input type so that a `switch` narrows `run`. */
export type BoundLoss =
  | { inputs: "samples"; run: (inputs: ForwardInputs) => AnyLossResult }
  | { inputs: "pairs"; run: (inputs: PairInputs) => AnyLossResult }
  | { inputs: "labelled"; run: (inputs: LabelledInputs) => AnyLossResult }
  | { inputs: "sde-steps"; run: (inputs: SdeInputs) => AnyLossResult };
export type LossInputKind = BoundLoss["inputs"];

/** A loss taking its config, per input type. */
export type RecipeLoss<C> =
  | { inputs: "samples"; run: (inputs: ForwardInputs, cfg: C) => AnyLossResult }
  | { inputs: "pairs"; run: (inputs: PairInputs, cfg: C) => AnyLossResult }
  | { inputs: "labelled"; run: (inputs: LabelledInputs, cfg: C) => AnyLossResult }
  | { inputs: "sde-steps"; run: (inputs: SdeInputs, cfg: C) => AnyLossResult };

export interface Needs {
  old: boolean;
  ref: boolean;
}

export interface SdeRollout {
  kind: "sde";
  sampler: "flow-sde" | "cps";
  noiseLevel: number;
  /** The SDE steps of this epoch's rollouts (a window), drawn from the run's Rng; undefined: every step. */
  window(steps: number, rng: Rng): { start: number; size: number } | undefined;
  /** Which of a sample's recorded steps are trained (indices, ascending); may draw from the epoch's Rng. */
  trainedSteps(recorded: number, timestepFraction: number, rng: Rng): number[];
}
export type Rollout = { kind: "ode" } | SdeRollout;

/** A stateful group rule (UniWorld-V2's low-variance ban). */
export interface GroupFilter {
  /** Never sample this group again. */
  excludes(group: string): boolean;
  /** Groups recorded as excluded so far (reported in the metrics). */
  readonly excludedCount: number;
  /** One epoch's combined raw rewards (NaN = failed) → 1 for the samples that keep their weight. */
  update(groups: readonly string[], raw: readonly number[]): { valid: number[] };
  /** JSON state, saved with the run. */
  state(): unknown;
}

export interface GroupFilterFactory {
  create(): GroupFilter;
  restore(state: unknown): GroupFilter;
}

export interface StepAction {
  /** The reference policy becomes the current θ. */
  referenceToTheta: boolean;
}

export interface AlgorithmRecipe<C> {
  name: string;
  schema: z.ZodType<C>;
  loss: RecipeLoss<C>;
  needs(cfg: C): Needs;
  /** The old policy is the loss's reference (v_old is passed as v_ref; no reference forward). */
  referenceIsOld?(cfg: C): boolean;
  signal(cfg: C): SignalFn;
  oldDecay?(cfg: C): DecayType;
  rollout?(cfg: C): SdeRollout;
  groupFilter?(cfg: C): GroupFilterFactory;
  afterStep?(cfg: C): (step: number) => StepAction;
}

/** A recipe bound to its validated config: everything the trainer asks, nothing it has to cast. */
export interface ResolvedAlgorithm {
  name: string;
  /** The validated config (recorded in config.json). */
  config: Record<string, unknown>;
  loss: BoundLoss;
  needs: Needs & { referenceIsOld: boolean };
  signal: SignalFn;
  oldDecay: DecayType;
  rollout: Rollout;
  groupFilter: GroupFilterFactory | null;
  afterStep: (step: number) => StepAction;
}

function bindLoss<C>(loss: RecipeLoss<C>, cfg: C): BoundLoss {
  switch (loss.inputs) {
    case "samples":
      return { inputs: loss.inputs, run: (inputs) => loss.run(inputs, cfg) };
    case "pairs":
      return { inputs: loss.inputs, run: (inputs) => loss.run(inputs, cfg) };
    case "labelled":
      return { inputs: loss.inputs, run: (inputs) => loss.run(inputs, cfg) };
    case "sde-steps":
      return { inputs: loss.inputs, run: (inputs) => loss.run(inputs, cfg) };
  }
}

const NOTHING: StepAction = { referenceToTheta: false };

/** The recipe with its config bound. */
export function bindRecipe<C extends Record<string, unknown>>(r: AlgorithmRecipe<C>, cfg: C): ResolvedAlgorithm {
  return {
    name: r.name,
    config: { ...cfg },
    loss: bindLoss(r.loss, cfg),
    needs: { ...r.needs(cfg), referenceIsOld: r.referenceIsOld?.(cfg) ?? false },
    signal: r.signal(cfg),
    oldDecay: r.oldDecay?.(cfg) ?? 0,
    rollout: r.rollout?.(cfg) ?? { kind: "ode" },
    groupFilter: r.groupFilter?.(cfg) ?? null,
    afterStep: r.afterStep?.(cfg) ?? (() => NOTHING),
  };
}
