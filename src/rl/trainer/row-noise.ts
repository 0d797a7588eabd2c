/**
 * The timesteps and noise of the forward-process rows of one epoch (DESIGN §4; anchors-algorithms.md
 * §1.5): every unit (a valid sample) is trained at `int(steps·fraction)` of the sampler's grid times,
 * in a random order, with fresh Gaussian noise ε per row.
 *
 * `trainNoise: "per-group"` draws the order and the ε once per group and lets the group's G samples
 * share them (common random numbers). Each row's t and ε keep their distribution, so the expected loss
 * and gradient are unchanged; what changes is the variance: in v = ε − x0 (Eq. 2) the shared ε cancels
 * between a group's positive and negative samples, whose advantages sum to about zero (Eq. 14).
 */
import type { Rng } from "../../runtime/rng.js";
import { trainingTimesteps } from "../timesteps.js";

export type TrainNoise = "per-row" | "per-group";

export interface RowNoise {
  /** Training timesteps per unit. */
  K: number;
  /** The unit's K training times. */
  times(unit: number): number[];
  /** The shared ε of the unit's j-th row (`per-group`), or null: draw it fresh for the row. */
  noise(unit: number, j: number): Float32Array | null;
}

/**
 * `groupOf(unit)` names the unit's group. `per-row` draws exactly what the reference trainers draw
 * (one permutation per unit, in unit order; ε later, per micro-batch); `per-group` draws one
 * permutation per group, then the K noise vectors of each group, in order of first appearance.
 */
export function planRowNoise(units: readonly number[], groupOf: (unit: number) => number, grid: readonly number[], fraction: number, mode: TrainNoise, rng: Rng, size: number): RowNoise {
  const keyOf = (u: number): number => (mode === "per-group" ? groupOf(u) : u);
  const keys = [...new Set(units.map(keyOf))];
  const drawn = trainingTimesteps(grid, keys.length, () => rng.uniform(), fraction);
  const times = new Map(keys.map((k, i) => [k, drawn[i]!]));
  const K = drawn[0]?.length ?? 0;
  const noise = new Map(mode === "per-group" ? keys.map((k) => [k, Array.from({ length: K }, () => rng.normalArray(size))]) : []);
  return {
    K,
    times: (u) => times.get(keyOf(u))!,
    noise: (u, j) => noise.get(keyOf(u))?.[j] ?? null,
  };
}
