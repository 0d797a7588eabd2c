/**
 * A new algorithm is one recipe and one registry call: a toy reward-weighted flow matching (train the
 * flow-matching loss on the samples above their group's mean only) is registered here, with its own
 * config schema, signal and per-step hook, and trained end to end by the unchanged trainer.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadDataset, type DatasetRecord } from "../../src/data/index.js";
import { buildModel, loadCheckpoint } from "../../src/model/index.js";
import { UserError } from "../../src/runtime/errors.js";
import { algorithmNames, registerAlgorithm } from "../../src/rl/algorithms.js";
import type { LabelledInputs } from "../../src/rl/inputs.js";
import { sqNorm, weightedSum } from "../../src/rl/ops.js";
import type { AlgorithmRecipe } from "../../src/rl/recipe.js";
import { inspectTrainRun, resolveTrainConfig, runPaths, train } from "../../src/rl/trainer/index.js";
import { BrightnessReward, makeData, makeInit } from "./trainer-fixtures.js";

const toyConfigSchema = z.strictObject({ scale: z.number().positive().default(2) });
type ToyConfig = z.infer<typeof toyConfigSchema>;

/** L = scale · Σ_i w_i · label_i · ‖v_θ − v‖²: flow matching on the preferred samples only. */
function toyLoss(inputs: LabelledInputs, cfg: ToyConfig) {
  const { vTheta, vRef, v, t, label, weight } = inputs;
  vRef.dispose();
  t.dispose();
  return { loss: weightedSum(sqNorm(vTheta.sub(v)).mul(label), weight).mul(cfg.scale), aux: {} };
}

const afterSteps: number[] = [];
const toyRecipe: AlgorithmRecipe<ToyConfig> = {
  name: "toy-rwfm",
  schema: toyConfigSchema,
  loss: { inputs: "labelled", run: toyLoss },
  needs: () => ({ old: false, ref: true }),
  // label 1 above the group mean of the combined reward, 0 below; masked where the reward is not valid
  signal: () => (agg) => ({
    value: agg.s.map((s) => (s > 0 ? 1 : 0)),
    mask: agg.valid.map((v) => (v ? 1 : 0)),
    pairs: [],
    shown: agg.s.map((s, i) => (agg.valid[i] ? s : null)),
  }),
  afterStep: () => (step) => {
    afterSteps.push(step);
    return { referenceToTheta: false };
  },
};

let root: string;
let init: string;
let data: string;
let records: DatasetRecord[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "toy-algo-"));
  init = await makeInit(join(root, "init"));
  data = await makeData(join(root, "data"));
  records = await loadDataset(data, "train");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a toy algorithm registered outside src/rl/trainer", () => {
  it("is listed, its config is validated by its own schema, and the trainer runs it to the end", async () => {
    registerAlgorithm(toyRecipe);
    expect(algorithmNames()).toContain("toy-rwfm");
    expect(() => registerAlgorithm(toyRecipe)).toThrow(/registered twice/);
    expect(() => resolveTrainConfig("toy-rwfm", "tiny", { algo: { scale: -1 } }, "toy.yaml", {})).toThrow(UserError);

    const { config, algorithm } = resolveTrainConfig("toy-rwfm", "tiny", { optimizer: { lr: 0.02 }, stepsPerEpoch: 2 }, "toy.yaml", { epochs: 3 });
    expect(config.algo).toEqual({ scale: 2 });
    const out = join(root, "run");
    const ck = await loadCheckpoint(init);
    const result = await train({
      out, config, algorithm, init: { config: ck.config, base: ck.base, path: init }, records, dataDir: data, reward: new BrightnessReward(),
      run: await inspectTrainRun(out, config),
    });
    expect(result.status).toBe("completed");
    expect(result.step).toBe(6);
    expect(afterSteps).toEqual([1, 2, 3, 4, 5, 6]); // the per-step hook after every optimizer step
    const lines = readFileSync(runPaths.metrics(out), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { epoch: number; loss: number; nan_steps: number });
    expect(lines.map((l) => l.epoch)).toEqual([0, 1, 2]);
    expect(lines.every((l) => Number.isFinite(l.loss) && l.loss > 0 && l.nan_steps === 0)).toBe(true);
    const runFile = JSON.parse(readFileSync(runPaths.config(out), "utf8")) as { config: { algorithm: string; algo: unknown } };
    expect(runFile.config).toMatchObject({ algorithm: "toy-rwfm", algo: { scale: 2 } });
    const theta = (await loadCheckpoint(runPaths.latest(out))).loraWeights!;
    const theta0 = buildModel(ck.config, config.lora).initLora(config.seed);
    expect(theta.some((x, i) => x !== theta0[i])).toBe(true); // θ moved
  });
});
