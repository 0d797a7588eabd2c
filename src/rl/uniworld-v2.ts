/**
 * UniWorld-V2 / Edit-R1 (PKU-YuanGroup/Edit-R1; anchors-algorithms.md §3.5): DiffusionNFT's loss
 * unchanged (β 1, KL 1e-4, Amax 5, decay type 1; diffusion-nft.ts) on the MLLM reward, with its
 * advantages from the weighted raw reward sum (per-group mean, global std; advantages.ts) and the
 * low-variance group rule of its `PerPromptStatTracker`:
 *   - a group whose rewards have std < stdThreshold gets weight 0 this epoch (masked-mean loss);
 *   - a group with std < stdThreshold AND mean > meanThreshold is banned: never sampled again
 *     (when `banGroups`).
 * std is the population std over the group's valid (non-NaN) rewards; groups are keyed by sample id.
 * The tracker always records bans; the trainer's sampler skips banned groups when `banGroups` is set.
 */
import { z } from "zod";
import { groupMembers, meanStd } from "../runtime/group-stats.js";
import { diffusionNftConfigSchema, diffusionNftRecipe } from "./diffusion-nft.js";
import type { AlgorithmRecipe, GroupFilter } from "./recipe.js";

export const uniworldV2ConfigSchema = z.strictObject({
  ...diffusionNftConfigSchema.shape,
  stdThreshold: z.number().min(0).default(0.05),
  meanThreshold: z.number().default(0.9),
  banGroups: z.boolean().default(true),
});
export type UniworldV2Config = z.infer<typeof uniworldV2ConfigSchema>;

export const banTrackerStateSchema = z.strictObject({
  kind: z.literal("group-ban-tracker"),
  stdThreshold: z.number().min(0),
  meanThreshold: z.number(),
  banned: z.array(z.string()),
});
export type BanTrackerState = z.infer<typeof banTrackerStateSchema>;

export interface BanUpdate {
  /** 1 for samples that keep their loss weight this epoch, 0 otherwise. */
  valid: number[];
  /** Groups banned by this update. */
  newlyBanned: string[];
  /** Groups masked this epoch for low variance. */
  lowVariance: string[];
}

/** The low-variance rule as the trainer's group filter; bans exclude groups from sampling when `banGroups`. */
export class GroupBanTracker implements GroupFilter {
  private readonly banned: Set<string>;

  constructor(
    readonly stdThreshold: number,
    readonly meanThreshold: number,
    banned: Iterable<string> = [],
    readonly banGroups = true,
  ) {
    this.banned = new Set(banned);
  }

  static restore(state: unknown, banGroups = true): GroupBanTracker {
    const s = banTrackerStateSchema.parse(state);
    return new GroupBanTracker(s.stdThreshold, s.meanThreshold, s.banned, banGroups);
  }

  isBanned(group: string): boolean {
    return this.banned.has(group);
  }

  excludes(group: string): boolean {
    return this.banGroups && this.banned.has(group);
  }

  get excludedCount(): number {
    return this.banned.size;
  }

  /** One epoch's rewards (NaN = failed judgement) with each sample's group key. */
  update(groups: readonly string[], rewards: readonly number[]): BanUpdate {
    if (groups.length !== rewards.length) throw new Error(`GroupBanTracker: ${groups.length} groups vs ${rewards.length} rewards`);
    const members = groupMembers(groups);
    const valid = rewards.map((r) => (Number.isFinite(r) ? 1 : 0));
    const newlyBanned: string[] = [];
    const lowVariance: string[] = [];
    for (const [g, idx] of members) {
      const finite = idx.filter((i) => valid[i] === 1).map((i) => rewards[i] as number);
      if (finite.length < 2) continue; // masked by the advantage recipe already; never banned on one sample
      const { mean, std } = meanStd(finite, 0);
      if (std >= this.stdThreshold) continue;
      lowVariance.push(g);
      for (const i of idx) valid[i] = 0;
      if (mean > this.meanThreshold && !this.banned.has(g)) {
        this.banned.add(g);
        newlyBanned.push(g);
      }
    }
    return { valid, newlyBanned, lowVariance };
  }

  state(): BanTrackerState {
    return { kind: "group-ban-tracker", stdThreshold: this.stdThreshold, meanThreshold: this.meanThreshold, banned: [...this.banned].sort() };
  }
}

/**
 * The recipe: DiffusionNFT's (loss, signal on the run's combined reward s, needs, old policy), with the
 * low-variance group rule as its group filter; that rule reads the raw weighted sum w_dp·dp + w_pf·pf
 * (its thresholds are on raw scores, as Edit-R1's), whatever the run's reward recipe.
 */
export const uniworldV2Recipe: AlgorithmRecipe<UniworldV2Config> = {
  ...diffusionNftRecipe,
  name: "uniworld-v2",
  schema: uniworldV2ConfigSchema,
  groupFilter: (cfg) => ({
    create: () => new GroupBanTracker(cfg.stdThreshold, cfg.meanThreshold, [], cfg.banGroups),
    restore: (state) => GroupBanTracker.restore(state, cfg.banGroups),
  }),
};
