/**
 * Training timesteps of the forward-process losses (DESIGN §4; anchors-algorithms.md §1.5): the rollout
 * sampler's own grid, independently permuted for every sample, keeping the first
 * `int(steps · fraction)` entries (fraction 0.99: all but one of the steps). `grid` is the `steps` times
 * at which the sampler evaluated the model (t = 1 first; the terminal t = 0 is not part of it).
 */

/** `[sample][k]` training times; `random` is the trainer's seeded uniform generator in [0, 1). */
export function trainingTimesteps(grid: readonly number[], samples: number, random: () => number, fraction = 0.99): number[][] {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`trainingTimesteps: fraction must be in (0, 1], got ${fraction}`);
  const count = Math.floor(grid.length * fraction);
  if (count < 1) throw new Error(`trainingTimesteps: ${grid.length} steps × ${fraction} leaves no timestep to train`);
  return Array.from({ length: samples }, () => {
    const perm = [...grid];
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    }
    return perm.slice(0, count);
  });
}
