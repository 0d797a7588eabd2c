/**
 * The algorithm registry: one line per recipe (recipe.ts). A new algorithm is one file with its loss
 * and recipe, plus one `registerAlgorithm` line below. Everything the trainer needs
 * comes from `resolveAlgorithm`: the validated config and the recipe bound to it.
 */
import { UserError } from "../runtime/errors.js";
import { firstIssue } from "../runtime/zod-error.js";
import { diffusionKtoRecipe } from "./diffusion-kto.js";
import { diffusionNftRecipe } from "./diffusion-nft.js";
import { dspoRecipe } from "./dspo.js";
import { flowDpoRecipe } from "./flow-dpo.js";
import { flowGrpoRecipe } from "./flow-grpo.js";
import { naspoRecipe } from "./naspo.js";
import { bindRecipe, type AlgorithmRecipe, type ResolvedAlgorithm } from "./recipe.js";
import { uniworldV2Recipe } from "./uniworld-v2.js";

/** Raw config → the recipe bound to its validated config (the config's type stays inside the closure). */
type Resolver = (raw: unknown, where: string) => ResolvedAlgorithm;

const REGISTRY = new Map<string, Resolver>();

/** Adds a recipe under its name (a name registered twice is a programming error). */
export function registerAlgorithm<C extends Record<string, unknown>>(recipe: AlgorithmRecipe<C>): void {
  if (REGISTRY.has(recipe.name)) throw new Error(`algorithm ${recipe.name} is registered twice`);
  REGISTRY.set(recipe.name, (raw, where) => {
    const parsed = recipe.schema.safeParse(raw ?? {});
    if (!parsed.success) {
      const { field, what } = firstIssue(parsed.error);
      throw new UserError(`${where}${field === "(root)" ? "" : `.${field}`}: ${what} (algorithm ${recipe.name})`, 2);
    }
    return bindRecipe(recipe, parsed.data);
  });
}

registerAlgorithm(naspoRecipe);
registerAlgorithm(diffusionNftRecipe);
registerAlgorithm(flowGrpoRecipe);
registerAlgorithm(uniworldV2Recipe);
registerAlgorithm(dspoRecipe);
registerAlgorithm(diffusionKtoRecipe);
registerAlgorithm(flowDpoRecipe);

/** The registered names, in registration order. */
export function algorithmNames(): string[] {
  return [...REGISTRY.keys()];
}

/**
 * Name + raw config (missing fields take the defaults) → the bound recipe. An unknown name or a bad
 * config is a one-line UserError (exit 2); `where` prefixes the config's messages (e.g. "run.yaml: algo").
 */
export function resolveAlgorithm(name: string, raw: unknown, where = "config"): ResolvedAlgorithm {
  const resolver = REGISTRY.get(name);
  if (!resolver) throw new UserError(`unknown algorithm "${name}"; valid: ${algorithmNames().join(", ")}`, 2);
  return resolver(raw, where);
}
