/**
 * One reward mechanism for every RL method (DESIGN §4, issue 18): the run's `reward.recipe` decides how
 * DP and PF are combined, Eq. 12–13 "standardized" by default for every algorithm and preset, the raw
 * sum as the ablation arm; the algorithm's signal is computed from what that recipe gives.
 */
import { describe, expect, it } from "vitest";
import { aggregateRewards } from "../../src/reward/index.js";
import { algorithmNames, resolveAlgorithm } from "../../src/rl/algorithms.js";
import { nftOptimality } from "../../src/rl/advantages.js";
import { TRAIN_PRESETS, resolveTrainConfig } from "../../src/rl/trainer/index.js";
import { epochSignal } from "../../src/rl/trainer/signal.js";
import { UserError } from "../../src/runtime/errors.js";
import { expectClose } from "./helpers.js";

describe("the reward recipe is the run's, not the algorithm's", () => {
  it("every algorithm under every preset defaults to Eq. 12–13 (standardized)", () => {
    for (const algo of algorithmNames()) {
      for (const preset of TRAIN_PRESETS) expect(resolveTrainConfig(algo, preset, null, "", {}).config.reward.recipe).toBe("standardized");
    }
  });

  it("raw-sum is one switch, from a config file or the flag (the flag wins)", () => {
    expect(resolveTrainConfig("flow-grpo", "tiny", { reward: { recipe: "raw-sum" } }, "run.yaml", {}).config.reward.recipe).toBe("raw-sum");
    expect(resolveTrainConfig("naspo", "tiny", null, "", { rewardRecipe: "raw-sum" }).config.reward).toEqual({ variant: "ours", wDp: 0.5, recipe: "raw-sum" });
    expect(resolveTrainConfig("naspo", "tiny", { reward: { recipe: "raw-sum" } }, "run.yaml", { rewardRecipe: "standardized" }).config.reward.recipe).toBe("standardized");
  });

  it("an unknown recipe in a config file: one line naming the file and field, exit 2", () => {
    let err: unknown;
    try {
      resolveTrainConfig("naspo", "tiny", { reward: { recipe: "mean" } }, "run.yaml", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toMatch(/^run\.yaml: field reward\.recipe: /);
    expect((err as UserError).message.includes("\n")).toBe(false);
  });

  it("the algorithm's signal reads the combined reward of the run's recipe (DiffusionNFT's r, by hand)", () => {
    const dp = [0.2, 0.9, 0.4, 0.1, 0.8, 0.3];
    const pf = [0.6, 0.1, 0.5, 0.9, 0.2, 0.7];
    const groups = ["a", "a", "a", "b", "b", "b"];
    const nft = resolveAlgorithm("diffusion-nft", {});
    for (const recipe of ["standardized", "raw-sum"] as const) {
      const s = aggregateRewards(dp, pf, groups, { wDp: 0.3, recipe }).s;
      const got = epochSignal(nft, dp, pf, groups, { recipe, wDp: 0.3 }, null).value;
      expectClose(got, nftOptimality(s, 5), 1e-12);
    }
    const std = epochSignal(nft, dp, pf, groups, { recipe: "standardized", wDp: 0.3 }, null).value;
    const raw = epochSignal(nft, dp, pf, groups, { recipe: "raw-sum", wDp: 0.3 }, null).value;
    expect(Math.max(...std.map((x, i) => Math.abs(x - (raw[i] as number))))).toBeGreaterThan(0.01);
  });
});
