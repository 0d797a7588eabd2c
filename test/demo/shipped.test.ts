import { beforeAll, describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initJax } from "../../src/runtime/jax.js";
import { UserError } from "../../src/runtime/errors.js";
import { DEMO_BENCHMARK, DEMO_RL, DEMO_RL_CONFIG, DEMO_SFT, DEMO_SFT_CONFIG, DEMO_SFT_CONTINUED, DEMO_SFT_CONTINUED_CONFIG, SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS } from "../../src/demo/settings.js";
import { learningRate, resolveSftConfig } from "../../src/sft/index.js";
import { readConfigFile } from "../../src/runtime/config-file.js";
import { resolveTrainConfig } from "../../src/rl/trainer/index.js";
import { loadShippedCheckpoint } from "../../src/demo/shipped.js";
import { benchmarkIsThere } from "../../src/demo/steps.js";
import { userErrorOf } from "../user-error.js";

async function rejection(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
}

/** A copy of the shipped checkpoint and its checksum file in a temporary folder. */
function shippedCopy(): { dir: string; sums: string } {
  const root = mkdtempSync(join(tmpdir(), "prl-shipped-"));
  const dir = join(root, "sft");
  cpSync(SHIPPED_SFT_DIR, dir, { recursive: true });
  const sums = `${dir}.sha256`;
  cpSync(SHIPPED_SFT_SUMS, sums);
  return { dir, sums };
}

describe("the shipped cold-start checkpoint", () => {
  beforeAll(initJax);

  it("passes its checksums and is the preset and image size the demo benchmark is rendered at", async () => {
    const ck = await loadShippedCheckpoint(SHIPPED_SFT_DIR, SHIPPED_SFT_SUMS);
    expect(ck.config.preset).toBe(DEMO_SFT.preset);
    expect(ck.config.imageSize).toBe(DEMO_BENCHMARK.size);
    expect(ck.loraWeights).toBeUndefined();
  });

  it("the demo's RL preset and config file resolve for the shipped model preset", () => {
    const { config } = resolveTrainConfig(DEMO_RL.algorithm, DEMO_RL.preset, readConfigFile(DEMO_RL_CONFIG), DEMO_RL_CONFIG, { epochs: DEMO_RL.epochs });
    expect(config.modelPreset).toBe(DEMO_SFT.preset);
    expect(config.algo).toMatchObject({ reference: "old-policy", beta: 10, space: "x0" });
    expect(config.epochs).toBe(DEMO_RL.epochs);
  });

  it("train:sft's recipe resolves: lr 3e-3 after the warm-up, cosine-decayed to 3e-4 at its last step", () => {
    const config = resolveSftConfig(DEMO_SFT_CONFIG, { steps: DEMO_SFT.steps, preset: DEMO_SFT.preset, seed: DEMO_SFT.seed });
    const o = config.optimizer;
    expect(o.decay).toEqual({ kind: "cosine", minFactor: 0.1 });
    expect(learningRate(o, o.warmupSteps, DEMO_SFT.steps)).toBeCloseTo(3e-3, 12);
    expect(learningRate(o, (o.warmupSteps + DEMO_SFT.steps) / 2, DEMO_SFT.steps)).toBeCloseTo(1.65e-3, 12);
    expect(learningRate(o, DEMO_SFT.steps, DEMO_SFT.steps)).toBeCloseTo(3e-4, 12);
    expect(DEMO_SFT.keepCheckpoints).toBeGreaterThanOrEqual(DEMO_SFT.steps / DEMO_SFT.ckptEvery);
  });

  it("the demo's SFT-continued config resolves, continuing the shipped model", () => {
    const config = resolveSftConfig(DEMO_SFT_CONTINUED_CONFIG, { steps: DEMO_SFT_CONTINUED.steps, preset: DEMO_SFT.preset });
    expect(config.steps).toBe(DEMO_SFT_CONTINUED.steps);
    expect(config.ema?.decay).toBeLessThan(1 - 1 / DEMO_SFT_CONTINUED.steps);
    expect(config.optimizer.warmupSteps).toBeLessThan(DEMO_SFT_CONTINUED.steps);
  });

  it("a flipped byte, a missing file or a missing checksum file is one line naming the file", async () => {
    const flipped = shippedCopy();
    const weights = join(flipped.dir, "model.safetensors");
    const bytes = readFileSync(weights);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    writeFileSync(weights, bytes);
    const e1 = await rejection(loadShippedCheckpoint(flipped.dir, flipped.sums));
    expect(e1.message).toMatch(/model\.safetensors: SHA-256 [0-9a-f]{12}… does not match .*\(corrupted; restore it with `git checkout -- checkpoints\/`/);
    expect(e1.message).not.toContain("\n");
    expect(e1.exitCode).toBe(1);

    const missing = shippedCopy();
    rmSync(join(missing.dir, "model.safetensors"));
    const e2 = await rejection(loadShippedCheckpoint(missing.dir, missing.sums));
    expect(e2.message).toMatch(/sft\/model\.safetensors: missing from the shipped checkpoint \(restore it with/);

    const noSums = shippedCopy();
    const e3 = await rejection(loadShippedCheckpoint(noSums.dir, `${noSums.sums}.gone`));
    expect(e3.message).toMatch(/\.sha256\.gone: missing; cannot verify the shipped checkpoint/);
  });
});

describe("benchmarkIsThere", () => {
  const want = { identities: 3, perIdentity: 2, size: 16 };
  const folder = (config: unknown): string => {
    const dir = mkdtempSync(join(tmpdir(), "prl-bench-"));
    writeFileSync(join(dir, "dataset.json"), typeof config === "string" ? config : JSON.stringify({ config }));
    return dir;
  };

  it("absent → false (synthesise it); the same settings → true (reuse it)", () => {
    expect(benchmarkIsThere(mkdtempSync(join(tmpdir(), "prl-empty-")), want)).toBe(false);
    expect(benchmarkIsThere(folder({ ...want, seed: 0 }), want)).toBe(true);
  });

  it("a benchmark from other settings is refused with the field, both values and what to do", () => {
    const e = userErrorOf(() => benchmarkIsThere(folder({ ...want, size: 32 }), want));
    expect(e.message).toMatch(/dataset\.json: config\.size is 32 but the shipped checkpoint needs 16; delete .* to synthesise it again$/);
    expect(e.exitCode).toBe(2);
    expect(userErrorOf(() => benchmarkIsThere(folder({ size: 16 }), want)).message).toMatch(/config\.identities is undefined but the shipped checkpoint needs 3/);
    const defects = { ...want, sftDefects: { detail: 0.5, colour: 0.5, pose: 0.5 } };
    expect(benchmarkIsThere(folder(defects), defects)).toBe(true);
    expect(userErrorOf(() => benchmarkIsThere(folder({ ...defects, sftDefects: { detail: 0.5, colour: 0.5, pose: 0 } }), defects)).message).toMatch(
      /config\.sftDefects is \{"detail":0\.5,"colour":0\.5,"pose":0\} but the shipped checkpoint needs \{"detail":0\.5,"colour":0\.5,"pose":0\.5\}/,
    );
    expect(userErrorOf(() => benchmarkIsThere(folder({ ...want, seed: 0 }), defects)).message).toMatch(/config\.sftDefects is undefined but/);
    expect(userErrorOf(() => benchmarkIsThere(folder("{ not json"), want)).message).toMatch(/dataset\.json: not valid JSON; delete .* to synthesise the benchmark again$/);
  });
});
