import { describe, expect, it } from "vitest";
import { gridFileName, rowsToTrain } from "../../scripts/paper-budget-rows.js";

const RL = ["naspo", "diffusion-nft", "flow-grpo", "naspo-batch-z"];
const ROWS = ["sft", ...RL, "sft-continued"];

describe("rowsToTrain", () => {
  it("adds the rows asked for to the ones the compare folder has, in the canonical order", () => {
    expect(rowsToTrain(RL, ["naspo-batch-z"], ["sft", "naspo", "flow-grpo"])).toEqual(["naspo", "flow-grpo", "naspo-batch-z"]);
  });
  it("trains only what was asked for in a new folder", () => {
    expect(rowsToTrain(RL, ["flow-grpo", "naspo"], [])).toEqual(["naspo", "flow-grpo"]);
  });
  it("trains nothing for none, whatever the folder has", () => {
    expect(rowsToTrain(RL, "none", ["sft", "naspo", "diffusion-nft"])).toEqual([]);
  });
});

describe("gridFileName", () => {
  it("has no suffix when every row is shown", () => {
    expect(gridFileName(0, [...ROWS].reverse(), ROWS)).toBe("grid-test-seed0.png");
  });
  it("names the rows shown besides SFT, in the canonical order", () => {
    expect(gridFileName(1, ["diffusion-nft", "sft", "naspo"], ROWS)).toBe("grid-test-seed1.naspo+diffusion-nft.png");
    expect(gridFileName(2, ["sft", "naspo", "diffusion-nft", "flow-grpo", "naspo-batch-z"], ROWS)).toBe(
      "grid-test-seed2.naspo+diffusion-nft+flow-grpo+naspo-batch-z.png",
    );
  });
});
