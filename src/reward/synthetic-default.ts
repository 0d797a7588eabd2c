/**
 * The synthetic judges and embedder wired to the benchmark's recognizer and instruction parser.
 *
 * Two judges, so that evaluation does not grade its own homework (the paper trains on one LVLM judge
 * and evaluates with another):
 * - the reward judge (`createSyntheticJudge`): what RL trains on;
 * - the held-out judge (`createHeldOutSyntheticJudge`), the default of `eval`: it sees every image through
 *   a mild degradation (Gaussian blur σ 0.5 px, pixel noise std 0.03, seeded by the image's own bytes, so
 *   a given image always gets the same verdict), weighs the identity attributes equally instead of by
 *   DETAIL_WEIGHTS, and gives the pose attributes an instruction leaves alone λ = 0.3 of PF instead of
 *   0.2. An editor that exploits the reward judge's exact thresholds gains nothing here.
 */
import { createHash } from "node:crypto";
import { IDENTITY_ATTRIBUTES, Rng, degrade, parseInstruction, recognize } from "../data/index.js";
import { SyntheticEmbedder } from "./synthetic-embedder.js";
import { SyntheticJudge, type SyntheticJudgeOptions } from "./synthetic-judge.js";

type JudgeTuning = Omit<SyntheticJudgeOptions, "recognize" | "parseInstruction">;

export function createSyntheticJudge(opts: JudgeTuning = {}): SyntheticJudge {
  return new SyntheticJudge({ recognize, parseInstruction, ...opts });
}

const HELD_OUT_JUDGE = { name: "synthetic-held-out", blurSigma: 0.5, noiseStd: 0.03, unchangedWeightPf: 0.3 } as const;

/** The recognizer reading a degraded copy of the image, seeded by the image's bytes. */
function recognizeDegraded(pixels: Float32Array, size: number): ReturnType<typeof recognize> {
  const seed = createHash("sha256").update(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)).digest().readUInt32LE(0);
  return recognize(degrade(pixels, size, new Rng(seed), HELD_OUT_JUDGE.blurSigma, HELD_OUT_JUDGE.noiseStd), size);
}

export function createHeldOutSyntheticJudge(opts: Pick<JudgeTuning, "levels"> = {}): SyntheticJudge {
  const equal = Object.fromEntries(IDENTITY_ATTRIBUTES.map((a) => [a, 1 / IDENTITY_ATTRIBUTES.length])) as Record<(typeof IDENTITY_ATTRIBUTES)[number], number>;
  return new SyntheticJudge({
    recognize: recognizeDegraded, parseInstruction, ...opts,
    name: HELD_OUT_JUDGE.name, detailWeights: equal, unchangedWeightPf: HELD_OUT_JUDGE.unchangedWeightPf,
  });
}

export function createSyntheticEmbedder(): SyntheticEmbedder {
  return new SyntheticEmbedder(recognize, parseInstruction);
}
