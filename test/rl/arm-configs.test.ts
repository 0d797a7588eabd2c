import { describe, expect, it } from "vitest";
import { readConfigFile } from "../../src/runtime/config-file.js";
import { resolveTrainConfig } from "../../src/rl/trainer/index.js";

describe("the shipped ablation-arm overrides (configs/arms)", () => {
  it("sigma-half fixes NaSPO's σ at ½ and changes nothing else", () => {
    const plain = resolveTrainConfig("naspo", "cpu-tiny", null, "", {}).config;
    const arm = resolveTrainConfig("naspo", "cpu-tiny", readConfigFile("configs/arms/sigma-half.yaml"), "configs/arms/sigma-half.yaml", {}).config;
    expect(arm.algo).toMatchObject({ sigma: "half" });
    expect(plain.algo).toMatchObject({ sigma: "delta" });
    expect({ ...arm, algo: { ...arm.algo, sigma: "delta" } }).toEqual(plain);
  });

  it("sigma-batch-z standardises Δ over the batch at lr 3e-4 and changes nothing else", () => {
    const plain = resolveTrainConfig("naspo", "cpu-tiny", null, "", {}).config;
    const arm = resolveTrainConfig("naspo", "cpu-tiny", readConfigFile("configs/arms/sigma-batch-z.yaml"), "configs/arms/sigma-batch-z.yaml", {}).config;
    expect([plain.algo.deltaNorm, arm.algo.deltaNorm, arm.optimizer.lr]).toEqual(["none", "batch-z", 3e-4]);
    expect({ ...arm, algo: { ...arm.algo, deltaNorm: "none" }, optimizer: plain.optimizer }).toEqual(plain);
  });

  it("raw-sum switches the reward recipe from the standardised default, for any method", () => {
    for (const algo of ["naspo", "diffusion-nft", "flow-grpo"]) {
      const plain = resolveTrainConfig(algo, "cpu-tiny", null, "", {}).config;
      const arm = resolveTrainConfig(algo, "cpu-tiny", readConfigFile("configs/arms/raw-sum.yaml"), "configs/arms/raw-sum.yaml", {}).config;
      expect(plain.reward.recipe).toBe("standardized");
      expect(arm.reward).toEqual({ ...plain.reward, recipe: "raw-sum" });
    }
  });
});
