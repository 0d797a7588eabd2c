/**
 * The rollouts of one epoch (DESIGN §2): G samples per chosen group, in fixed-size batches through the
 * sampling policy's engine (ODE from the old policy, or the recipe's SDE from θ), each batch handed to
 * the reward as soon as it is sampled so that judging overlaps the next batch.
 */
import type { Rng } from "../../runtime/rng.js";
import type { OdeSolver } from "../../flow/index.js";
import { tokensToImages, type Forward, type ModelConfig } from "../../model/index.js";
import { rgbImage, type RewardItem, type RewardModel, type RewardScores } from "../../reward/index.js";
import type { Rollout } from "../recipe.js";
import type { Dims, Prepared, Sample } from "./epoch-data.js";
import { rolloutOde, rolloutSde } from "./rollout.js";

export interface RolloutEpochInput {
  /** The run's forward with the sampling policy's weights set. */
  forward: Forward;
  rollout: Rollout;
  /** The sampler's time grid (steps + 1 times). */
  grid: readonly number[];
  solver: OdeSolver;
  batchSize: number;
  mc: ModelConfig;
  dims: Dims;
  prepared: readonly Prepared[];
  /** The prepared record of each sample, G in a row per group. */
  groupOf: (sample: number) => number;
  count: number;
  reward: RewardModel;
  rng: Rng;
  shouldStop?: () => boolean;
}

export interface RolloutEpoch {
  samples: Sample[];
  /** The reward of each batch, in order. */
  pending: Promise<RewardScores>[];
  /** Stopped between batches (the epoch is abandoned). */
  abandoned: boolean;
}

export async function rolloutEpoch(o: RolloutEpochInput): Promise<RolloutEpoch> {
  const { dims, mc, prepared, groupOf, rng, rollout } = o;
  const { N, P, NP, W } = dims;
  const S = mc.imageSize;
  const RB = o.batchSize;
  const n = o.count;
  const samples: Sample[] = [];
  const pending: Promise<RewardScores>[] = [];
  const window = rollout.kind === "sde" ? rollout.window(o.grid.length - 1, rng) : undefined; // an SDE window is drawn once per epoch
  for (let b0 = 0; b0 < n; b0 += RB) {
    const idx = Array.from({ length: RB }, (_, k) => Math.min(b0 + k, n - 1));
    const ref = new Float32Array(RB * NP);
    const text = new Int32Array(RB * W);
    idx.forEach((i, k) => {
      ref.set(prepared[groupOf(i)]!.refTokens, k * NP);
      text.set(prepared[groupOf(i)]!.text, k * W);
    });
    const batch = { B: RB, ref, text, x1: rng.normalArray(RB * NP) };
    const d = { forward: o.forward, tokenShape: [N, P] as [number, number] };
    const res = rollout.kind === "sde"
      ? await rolloutSde(d, batch, o.grid, { kind: rollout.sampler, noiseLevel: rollout.noiseLevel, ...(window ? { window } : {}), key: rng.jaxKey() })
      : await rolloutOde(d, batch, o.grid, o.solver);
    const real = Math.min(RB, n - b0);
    const items: RewardItem[] = [];
    for (let k = 0; k < real; k++) {
      const i = b0 + k;
      const x0 = res.x0.slice(k * NP, (k + 1) * NP);
      const image = rgbImage(tokensToImages(x0, 1, mc), S, S);
      samples.push({ group: groupOf(i), x0, steps: res.steps ? res.steps[k]! : null, image });
      const p = prepared[groupOf(i)]!;
      items.push({ groupKey: p.record.id, reference: p.refImage, instruction: p.record.instruction, generated: image, ...(p.target ? { target: rgbImage(p.target, S, S) } : {}) });
    }
    pending.push(o.reward.score(items));
    if (o.shouldStop?.()) return { samples, pending, abandoned: true };
  }
  return { samples, pending, abandoned: false };
}
