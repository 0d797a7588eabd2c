/**
 * The forward engine of a compare or sweep reaches both commands of every cell: `--engine onnx` is passed
 * to the train (its rollouts) and to the eval (its sampling); the default jax adds nothing, so the
 * commands of folders made before the flag existed are unchanged; sft cells (nothing to train) get it
 * on their eval only.
 */
import { describe, expect, it } from "vitest";
import { trainEvalCell, type CellCommon } from "../../src/compare/plan.js";

const common = (engine: CellCommon["engine"]): CellCommon => ({
  data: "/d", init: "/init", preset: "cpu", epochs: 10, samples: null, judgeArgs: [], embedderArgs: [], engine, stop: "latest", progress: false,
});
const row = { label: "naspo", algo: "naspo", reward: null, config: null };

describe("trainEvalCell --engine", () => {
  it("onnx: on the train and on the eval", () => {
    const c = trainEvalCell(common("onnx"), "naspo/seed0", "/out/naspo/seed0", 0, row, "test");
    for (const args of [c.train!, c.eval]) expect(args.slice(args.indexOf("--engine"), args.indexOf("--engine") + 2)).toEqual(["--engine", "onnx"]);
  });
  it("jax (the default): no flag, the commands as before", () => {
    const c = trainEvalCell(common("jax"), "naspo/seed0", "/out/naspo/seed0", 0, row, "test");
    expect([...c.train!, ...c.eval]).not.toContain("--engine");
    expect(c.train).toEqual(["train", "--algo", "naspo", "--preset", "cpu", "--seed", "0", "--init", "/init", "--data", "/d", "--out", "/out/naspo/seed0/run", "--epochs", "10", "--no-progress"]);
  });
  it("sft: nothing to train, the eval samples on the engine", () => {
    const c = trainEvalCell(common("onnx"), "sft/seed0", "/out/sft/seed0", 0, { ...row, label: "sft", algo: null }, "test");
    expect(c.train).toBeNull();
    expect(c.eval).toContain("onnx");
  });
});
