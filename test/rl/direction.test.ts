/**
 * Sign sanity of every algorithm: on a toy where the policy's velocity is one shared parameter vector θ
 * and a group holds a good sample (target v_good) and a bad one (v_bad), gradient descent on the loss
 * must move θ toward v_good and away from v_bad (with the old policy refreshed every step, decay type 0).
 * Flow-GRPO's policy is a Gaussian step with mean θ: log π_θ(x) = −‖x − θ‖²/(2s²).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { resolveAlgorithm } from "../../src/rl/algorithms.js";
import { disposeAux, scalar, values } from "./helpers.js";

const D = 8;
const V_GOOD = Float32Array.from({ length: D }, (_, i) => (i % 2 === 0 ? 1 : 0.5));
const V_BAD = Float32Array.from({ length: D }, (_, i) => (i % 2 === 0 ? -1 : 0.25));
const both = () => np.array(Float32Array.from([...V_GOOD, ...V_BAD]), { shape: [2, 1, D] });
const broadcast = (theta: JaxArray) => np.broadcastTo(theta.reshape([1, 1, D]), [2, 1, D]);
const vec = (x: Float32Array | number[], shape: number[]) => np.array(Float32Array.from(x), { shape });

/** ⟨θ, v_good − v_bad⟩: how far θ has moved along the good-minus-bad direction. */
function progress(theta: Float32Array): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += (theta[i] as number) * ((V_GOOD[i] as number) - (V_BAD[i] as number));
  return s;
}

function lossAt(name: string, raw: Record<string, unknown>, thetaOld: Float32Array) {
  const algo = resolveAlgorithm(name, raw);
  return (theta: JaxArray): JaxArray => {
    const t = vec([0.5, 0.5], [2]);
    let out;
    switch (algo.loss.inputs) {
      case "samples":
        out = algo.loss.run({
          vTheta: broadcast(theta),
          vOld: broadcast(vec(thetaOld, [D])),
          vRef: np.zeros([2, 1, D]),
          v: both(),
          t,
          pref: vec(name === "naspo" ? [1, 0] : [0.6, 0.4], [2]), // Eq. 14 Adv for z = ±1; NFT r for A = ±1
          weight: vec([0.5, 0.5], [2]),
        });
        break;
      case "labelled":
        out = algo.loss.run({ vTheta: broadcast(theta), vRef: np.zeros([2, 1, D]), v: both(), t, label: vec([1, 0], [2]), weight: vec([0.5, 0.5], [2]) });
        break;
      case "pairs": {
        const side = (v: Float32Array) => ({ vTheta: theta.ref.reshape([1, 1, D]), vRef: np.zeros([1, 1, D]), v: vec(v, [1, 1, D]) });
        out = algo.loss.run({ winner: side(V_GOOD), loser: side(V_BAD), t: vec([0.5], [1]), weight: vec([1], [1]) });
        theta.dispose();
        break;
      }
      case "sde-steps": {
        // log π_θ(x_i) = −mean (x_i − θ)² / (2·0.5²) with x = (v_good, v_bad)
        const logp = np.square(both().sub(broadcast(theta))).mean([1, 2]).mul(-2);
        const logpOld = np.square(both().sub(broadcast(vec(thetaOld, [D])))).mean([1, 2]).mul(-2);
        out = algo.loss.run({ logp, logpOld, adv: vec([1, -1], [2]), weight: vec([0.5, 0.5], [2]) });
        break;
      }
    }
    disposeAux(out.aux);
    return out.loss;
  };
}

beforeAll(async () => {
  await initJax();
});

describe("descending each loss prefers the good sample", () => {
  const cases: [string, Record<string, unknown>, number][] = [
    ["naspo", {}, 1],
    ["naspo", { reference: "old-policy", space: "x0" }, 1],
    ["diffusion-nft", {}, 0.2],
    ["diffusion-nft", { space: "velocity" }, 0.2],
    ["uniworld-v2", {}, 0.2],
    ["flow-grpo", { clipRange: 0.2 }, 1],
    ["dspo", { beta: 10 }, 2],
    ["diffusion-kto", { beta: 10 }, 2],
    ["flow-dpo", { beta: 10 }, 2],
  ];
  for (const [name, raw, lr] of cases) {
    it(`${name} ${JSON.stringify(raw)}`, async () => {
      let theta = new Float32Array(D);
      const start = progress(theta);
      const losses: number[] = [];
      for (let step = 0; step < 5; step++) {
        const f = lossAt(name, raw, theta);
        losses.push(await scalar(f(vec(theta, [D]))));
        const g = await values(jax.grad(f)(vec(theta, [D])));
        theta = theta.map((x, i) => x - lr * (g[i] as number));
      }
      expect(progress(theta)).toBeGreaterThan(start + 0.05);
      expect(losses.every(Number.isFinite)).toBe(true);
    });
  }
});
