/**
 * The algorithm registry: what each algorithm trains on, which extra forwards its loss needs, how
 * rewards become its loss inputs, its validated configuration and its loss.
 *
 * - `kind`: "forward-process" losses train on clean rollout images re-noised at sampler timesteps;
 *   "sde-steps" (Flow-GRPO) trains on the recorded SDE transitions and their log-probs.
 * - `inputs`: the loss's input type (inputs.ts): samples, pairs, labelled samples or SDE steps.
 * - `needs(cfg)`: whether the loss needs v_old (a forward of the old policy at the training x_t) and
 *   v_ref (a forward of the reference); the trainer runs a forward only when it is needed.
 * - `rewardRecipe`: how the judge's objectives are combined (src/reward aggregate): "standardized"
 *   (Eq. 12–13) for NaSPO, "raw-sum" (weighted raw sum, group mean / global std) for the baselines.
 * - `signal`: how the combined rewards become loss inputs (advantages.ts).
 * - `bind(cfg)`: the loss with its config bound, so algorithms with the same `inputs` are called alike.
 */
import { z } from "zod";
import type { JaxArray } from "../runtime/jax.js";
import type { AggregationRecipe } from "../reward/aggregate.js";
import { UserError } from "../runtime/errors.js";
import { diffusionKtoConfigSchema, diffusionKtoLoss } from "./diffusion-kto.js";
import { diffusionNftConfigSchema, diffusionNftLoss } from "./diffusion-nft.js";
import { dspoConfigSchema, dspoLoss } from "./dspo.js";
import { flowDpoConfigSchema, flowDpoLoss } from "./flow-dpo.js";
import { flowGrpoConfigSchema, flowGrpoLoss } from "./flow-grpo.js";
import type { ForwardInputs, LabelledInputs, LossResult, PairInputs, SdeInputs } from "./inputs.js";
import { naspoConfigSchema, naspoLoss } from "./naspo.js";
import { uniworldV2ConfigSchema } from "./uniworld-v2.js";

export const ALGORITHM_NAMES = ["naspo", "diffusion-nft", "flow-grpo", "uniworld-v2", "dspo", "diffusion-kto", "flow-dpo"] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

/**
 * - "naspo": pref = Eq. 14 Adv of s (naspoAdvantages)
 * - "nft": pref = r = ½ + ½·clip(A/Amax) of the raw advantages (groupMeanGlobalStd, nftOptimality)
 * - "grpo": raw advantages A (groupMeanGlobalStd), clipped in the loss
 * - "pairs": best/worst sample of each group (bestWorstPairs)
 * - "kto": labels from the sign of A (ktoLabels)
 */
export type Signal = "naspo" | "nft" | "grpo" | "pairs" | "kto";

export interface Needs {
  old: boolean;
  ref: boolean;
}

function entry<const N extends AlgorithmName, const K extends "forward-process" | "sde-steps", const I extends string, S extends z.ZodType, In, R>(spec: {
  name: N;
  kind: K;
  inputs: I;
  schema: S;
  needs: (cfg: z.infer<S>) => Needs;
  rewardRecipe: AggregationRecipe;
  signal: Signal;
  loss: (inputs: In, cfg: z.infer<S>) => R;
}) {
  return {
    ...spec,
    defaults: spec.schema.parse({}) as z.infer<S>,
    /** The loss with its (validated) config bound: `(inputs) => { loss, aux }`. */
    bind: (cfg: z.infer<S>) => (inputs: In) => spec.loss(inputs, cfg),
  };
}

export const ALGORITHMS = {
  naspo: entry({
    name: "naspo",
    kind: "forward-process",
    inputs: "samples",
    schema: naspoConfigSchema,
    needs: (cfg) => ({ old: true, ref: cfg.reference === "cold-start" }),
    rewardRecipe: "standardized",
    signal: "naspo",
    loss: naspoLoss,
  }),
  "diffusion-nft": entry({
    name: "diffusion-nft",
    kind: "forward-process",
    inputs: "samples",
    schema: diffusionNftConfigSchema,
    needs: (cfg) => ({ old: true, ref: cfg.klWeight > 0 }),
    rewardRecipe: "raw-sum",
    signal: "nft",
    loss: diffusionNftLoss,
  }),
  "flow-grpo": entry({
    name: "flow-grpo",
    kind: "sde-steps",
    inputs: "sde-steps",
    schema: flowGrpoConfigSchema,
    needs: (cfg) => ({ old: false, ref: cfg.klWeight > 0 }),
    rewardRecipe: "raw-sum",
    signal: "grpo",
    loss: flowGrpoLoss,
  }),
  "uniworld-v2": entry({
    name: "uniworld-v2",
    kind: "forward-process",
    inputs: "samples",
    schema: uniworldV2ConfigSchema,
    needs: (cfg) => ({ old: true, ref: cfg.klWeight > 0 }),
    rewardRecipe: "raw-sum",
    signal: "nft",
    loss: diffusionNftLoss,
  }),
  dspo: entry({
    name: "dspo",
    kind: "forward-process",
    inputs: "pairs",
    schema: dspoConfigSchema,
    needs: () => ({ old: false, ref: true }),
    rewardRecipe: "raw-sum",
    signal: "pairs",
    loss: dspoLoss,
  }),
  "diffusion-kto": entry({
    name: "diffusion-kto",
    kind: "forward-process",
    inputs: "labelled",
    schema: diffusionKtoConfigSchema,
    needs: () => ({ old: false, ref: true }),
    rewardRecipe: "raw-sum",
    signal: "kto",
    loss: diffusionKtoLoss,
  }),
  "flow-dpo": entry({
    name: "flow-dpo",
    kind: "forward-process",
    inputs: "pairs",
    schema: flowDpoConfigSchema,
    needs: () => ({ old: false, ref: true }),
    rewardRecipe: "raw-sum",
    signal: "pairs",
    loss: flowDpoLoss,
  }),
};

export type Algorithms = typeof ALGORITHMS;
export type AlgorithmConfig<N extends AlgorithmName> = Algorithms[N]["defaults"];

export function isAlgorithmName(name: string): name is AlgorithmName {
  return (ALGORITHM_NAMES as readonly string[]).includes(name);
}

/** The registry entry of `name`; an unknown name is a UserError (exit 2) naming the valid ones. */
export function getAlgorithm<N extends AlgorithmName>(name: N): Algorithms[N];
export function getAlgorithm(name: string): Algorithms[AlgorithmName];
export function getAlgorithm(name: string): Algorithms[AlgorithmName] {
  if (!isAlgorithmName(name)) throw new UserError(`unknown algorithm "${name}"; valid: ${ALGORITHM_NAMES.join(", ")}`, 2);
  return ALGORITHMS[name];
}

/**
 * Validate an algorithm's configuration (missing fields take the defaults). `where` prefixes the
 * message (e.g. "run.yaml: algo"). Errors are one-line UserErrors, exit 2.
 */
export function parseAlgorithmConfig<N extends AlgorithmName>(name: N, raw: unknown, where?: string): AlgorithmConfig<N>;
export function parseAlgorithmConfig(name: string, raw: unknown, where?: string): AlgorithmConfig<AlgorithmName>;
export function parseAlgorithmConfig(name: string, raw: unknown, where = "config"): AlgorithmConfig<AlgorithmName> {
  const algo = getAlgorithm(name);
  const parsed = (algo.schema as z.ZodType).safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
    throw new UserError(`${where}${path}: ${issue?.message ?? "invalid"} (algorithm ${name})`, 2);
  }
  return parsed.data as AlgorithmConfig<AlgorithmName>;
}

type AnyLossResult = LossResult<Record<string, JaxArray>>;

/** A loss with its config bound, tagged by its input type so that a `switch` narrows `run`. */
export type BoundLoss =
  | { inputs: "samples"; run: (inputs: ForwardInputs) => AnyLossResult }
  | { inputs: "pairs"; run: (inputs: PairInputs) => AnyLossResult }
  | { inputs: "labelled"; run: (inputs: LabelledInputs) => AnyLossResult }
  | { inputs: "sde-steps"; run: (inputs: SdeInputs) => AnyLossResult };

export interface ResolvedAlgorithm {
  name: AlgorithmName;
  kind: "forward-process" | "sde-steps";
  rewardRecipe: AggregationRecipe;
  signal: Signal;
  config: AlgorithmConfig<AlgorithmName>;
  needs: Needs;
  loss: BoundLoss;
}

/** Name + raw config → the validated config, the forwards it needs and its bound loss (UserErrors as above). */
export function resolveAlgorithm(name: string, raw: unknown, where?: string): ResolvedAlgorithm {
  const config = parseAlgorithmConfig(name, raw, where);
  const a = getAlgorithm(name);
  const run = (a.bind as (cfg: unknown) => (inputs: never) => AnyLossResult)(config);
  const needs = (a.needs as (cfg: unknown) => Needs)(config);
  return { name: a.name, kind: a.kind, rewardRecipe: a.rewardRecipe, signal: a.signal, config, needs, loss: { inputs: a.inputs, run } as BoundLoss };
}
