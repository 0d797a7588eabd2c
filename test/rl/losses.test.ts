/**
 * The baseline losses: DiffusionNFT, Flow-GRPO, Flow-DPO, DSPO, Diffusion-KTO — golden values by hand on
 * tiny inputs, finite-difference gradient checks, and Flow-GRPO's on-policy ratio.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { diffusionKtoConfigSchema, diffusionKtoLoss, type DiffusionKtoConfig } from "../../src/rl/diffusion-kto.js";
import { diffusionNftConfigSchema, diffusionNftLoss, type DiffusionNftConfig, type X0Weights } from "../../src/rl/diffusion-nft.js";
import { dspoConfigSchema, dspoLoss, type DspoConfig } from "../../src/rl/dspo.js";
import { flowDpoConfigSchema, flowDpoLoss, type FlowDpoConfig } from "../../src/rl/flow-dpo.js";
import { flowGrpoConfigSchema, flowGrpoLoss, type FlowGrpoConfig } from "../../src/rl/flow-grpo.js";
import type { PairInputs } from "../../src/rl/inputs.js";
import { add, arr, disposeAux, checkGradient, expectClose, normal, peek, rng, scalar, uniform, values } from "./helpers.js";

const B = 4;
const SHAPE = [B, 4, 4];
const N = 64;


beforeAll(async () => {
  await initJax();
});

describe("DiffusionNFT", () => {
  // One sample: v_θ = (1, 0), v_old = (0.5, 0), v = (1, 1), t = 0.5, r = 0.75, β = 0.5, Amax = 5.
  // v_pos = 0.5·v_θ + 0.5·v_old = (0.75, 0) → v_pos − v = (−0.25, −1)
  // v_neg = 1.5·v_old − 0.5·v_θ = (0.25, 0) → v_neg − v = (−0.75, −1)
  const one = (cfg: DiffusionNftConfig, vRef?: number[]) =>
    diffusionNftLoss(
      {
        vTheta: arr([1, 0], [1, 1, 2]),
        vOld: arr([0.5, 0], [1, 1, 2]),
        vRef: vRef ? arr(vRef, [1, 1, 2]) : undefined,
        v: arr([1, 1], [1, 1, 2]),
        t: arr([0.5]),
        pref: arr([0.75]),
        weight: arr([1]),
      },
      cfg,
    );

  it("velocity space golden value: (r·L_pos + (1 − r)·L_neg)/β·Amax", async () => {
    const lPos = (0.25 ** 2 + 1) / 2; // 0.53125
    const lNeg = (0.75 ** 2 + 1) / 2; // 0.78125
    const { loss, aux } = one(diffusionNftConfigSchema.parse({ beta: 0.5, space: "velocity", klWeight: 0 }));
    disposeAux(aux);
    expect(await scalar(loss)).toBeCloseTo(((0.75 * lPos + 0.25 * lNeg) / 0.5) * 5, 5); // 5.9375
  });

  it("x0 space golden value: self-normalised by the stop-gradient mean |x0_± − x0|, plus the KL", async () => {
    // x0_± − x0 = −t·(v_± − v): (0.125, 0.5) and (0.375, 0.5) in absolute value.
    const lPos = ((0.125 ** 2 + 0.5 ** 2) / 2) / ((0.125 + 0.5) / 2); // 0.425
    const lNeg = ((0.375 ** 2 + 0.5 ** 2) / 2) / ((0.375 + 0.5) / 2); // 0.4464…
    const kl = (1 + 0) / 2; // ‖v_θ − v_ref‖² with v_ref = 0
    const { loss, aux } = one(diffusionNftConfigSchema.parse({ beta: 0.5, space: "x0", klWeight: 0.1 }), [0, 0]);
    expect(await peek(aux.wPos as JaxArray)).toEqual(Float32Array.from([(0.125 + 0.5) / 2]));
    expect(await scalar(aux.kl.ref)).toBeCloseTo(kl, 6);
    disposeAux(aux);
    expect(await scalar(loss)).toBeCloseTo(((0.75 * lPos + 0.25 * lNeg) / 0.5) * 5 + 0.1 * kl, 5);
  });

  for (const space of ["velocity", "x0"] as const) {
    it(`finite-difference gradient (${space} space, KL on, stop-gradient weights held)`, async () => {
      const next = rng(41);
      const vTheta = normal(next, N);
      const d = { vOld: add(vTheta, normal(next, N, 0.3)), vRef: normal(next, N), v: normal(next, N), t: uniform(next, B, 0.1, 1), r: uniform(next, B, 0, 1) };
      const cfg = diffusionNftConfigSchema.parse({ space, klWeight: 0.3, beta: 0.7 });
      const call = (x: JaxArray, frozen?: X0Weights) =>
        diffusionNftLoss({ vTheta: x, vOld: arr(d.vOld, SHAPE), vRef: arr(d.vRef, SHAPE), v: arr(d.v, SHAPE), t: arr(d.t), pref: arr(d.r), weight: arr([0.25, 0.25, 0.25, 0.25]) }, cfg, frozen);
      const at = call(arr(vTheta, SHAPE));
      const w = { wPos: at.aux.wPos ? await peek(at.aux.wPos) : undefined, wNeg: at.aux.wNeg ? await peek(at.aux.wNeg) : undefined };
      disposeAux(at.aux);
      at.loss.dispose();
      const f = (x: JaxArray) => {
        const { loss, aux } = call(x, { wPos: w.wPos ? arr(w.wPos) : undefined, wNeg: w.wNeg ? arr(w.wNeg) : undefined });
        disposeAux(aux);
        return loss;
      };
      // Quadratic in v_θ once the weights are held: central differences are exact up to rounding.
      await checkGradient(f, vTheta, SHAPE, { h: 1e-2, rtol: 1e-4 });
    });
  }
});

describe("Flow-GRPO", () => {
  const grpo = (logp: JaxArray, logpOld: number[], adv: number[], cfg: FlowGrpoConfig, kl?: { meanTheta: JaxArray; meanRef: Float32Array; std: number[] }) =>
    flowGrpoLoss(
      {
        logp,
        logpOld: arr(logpOld),
        adv: arr(adv),
        weight: arr(adv.map(() => 1 / adv.length)),
        kl: kl ? { meanTheta: kl.meanTheta, meanRef: arr(kl.meanRef, kl.meanTheta.shape), std: arr(kl.std) } : undefined,
      },
      cfg,
    );

  it("on-policy batch: the ratio is exactly 1, the loss is −mean(A), nothing is clipped", async () => {
    // Before the first update the trainer's log-probs are the sampler's, bit for bit.
    const logp = [-1.2345678, 0.3141592, -0.0001, 2.5, -3.75, 0.9];
    const adv = [1.5, -0.5, 7, -7, 0, 0.25]; // ±7 are clipped to ±5 (Amax)
    const cfg = flowGrpoConfigSchema.parse({});
    const { loss, aux } = grpo(arr(logp), logp, adv, cfg);
    expect(await scalar(aux.ratioMean)).toBe(1);
    expect(await scalar(aux.clipFrac)).toBe(0);
    expect(await scalar(aux.approxKl)).toBe(0);
    disposeAux(aux);
    const clipped = adv.map((a) => Math.max(-5, Math.min(5, a)));
    expect(await scalar(loss)).toBeCloseTo(-clipped.reduce((s, a) => s + a, 0) / adv.length, 6);
    // and the gradient w.r.t. log π_θ is −A/n: every row is inside the clip range.
    const g = await values(jax.grad((x: JaxArray) => { const o = grpo(x, logp, adv, cfg); disposeAux(o.aux); return o.loss; })(arr(logp)));
    expectClose(g, clipped.map((a) => -a / adv.length), 1e-7);
  });

  it("golden value: the pessimistic max of the clipped and unclipped terms, clip fraction, approx KL", async () => {
    // ε = 0.05; rows (log-ratio, A): (0.1, 1) (0.1, −1) (−0.1, 1) (−0.1, −1)
    // ratio e^{±0.1}: 1.10517 → clip 1.05; 0.904837 → clip 0.95
    // max(−A·ratio, −A·clip): −1.05 (clipped), 1.10517, −0.904837, 0.95 (clipped)
    const e = Math.exp(0.1);
    const cfg = flowGrpoConfigSchema.parse({ clipRange: 0.05 });
    const run = (x: JaxArray) => grpo(x, [0, 0, 0, 0], [1, -1, 1, -1], cfg);
    const { loss, aux } = run(arr([0.1, 0.1, -0.1, -0.1]));
    expect(await scalar(aux.clipFrac)).toBe(1);
    expect(await scalar(aux.approxKl)).toBeCloseTo(0.005, 7);
    disposeAux(aux);
    expect(await scalar(loss)).toBeCloseTo((-1.05 + e - 1 / e + 0.95) / 4, 6);
    // Clipped rows carry no gradient; the others −A·ratio/n.
    const g = await values(jax.grad((x: JaxArray) => { const o = run(x); disposeAux(o.aux); return o.loss; })(arr([0.1, 0.1, -0.1, -0.1])));
    expectClose(g, [0, e / 4, -1 / e / 4, 0], 1e-7);
  });

  it("finite-difference gradient w.r.t. log π_θ (rows on both sides of the clip range)", async () => {
    // Log-ratios at least 0.08 from the kinks ln(0.8), ln(1.2): h = 1e-3 never crosses one.
    const logpOld = [0.5, -1, 0.2, 0, 1.5, -0.3];
    const logp = Float32Array.from([0.6, -1.5, 0.25, 0.4, 1.45, -0.35]);
    const adv = [2, 1, -1.5, -0.5, 6, -2];
    const cfg = flowGrpoConfigSchema.parse({ clipRange: 0.2 });
    const f = (x: JaxArray) => { const o = grpo(x, logpOld, adv, cfg); disposeAux(o.aux); return o.loss; };
    // exp(·) curvature: truncation ≈ h²/6 relative, far below 1e-4.
    await checkGradient(f, logp, [6], { h: 1e-3, rtol: 1e-4 });
  });

  it("KL term: golden value and finite-difference gradient w.r.t. the step mean under θ", async () => {
    // One row, two dims: μ_θ − μ_ref = (0.2, −0.4), std 0.5 → KL = ((0.04 + 0.16)/2) / (2·0.25) = 0.2
    const cfg = flowGrpoConfigSchema.parse({ klWeight: 0.5 });
    const one = grpo(arr([0]), [0], [0], cfg, { meanTheta: arr([0.2, -0.4], [1, 2]), meanRef: Float32Array.from([0, 0]), std: [0.5] });
    expect(await scalar(one.aux.kl.ref)).toBeCloseTo(0.2, 6);
    disposeAux(one.aux);
    expect(await scalar(one.loss)).toBeCloseTo(0.5 * 0.2, 6);
    // the same with the std shaped as the flow module's Transition.std ([B, 1])
    const flowShaped = flowGrpoLoss(
      { logp: arr([0]), logpOld: arr([0]), adv: arr([0]), weight: arr([1]), kl: { meanTheta: arr([0.2, -0.4], [1, 2]), meanRef: arr([0, 0], [1, 2]), std: arr([0.5], [1, 1]) } },
      cfg,
    );
    disposeAux(flowShaped.aux);
    expect(await scalar(flowShaped.loss)).toBeCloseTo(0.5 * 0.2, 6);
    const next = rng(5);
    const mean0 = normal(next, 24);
    const ref = normal(next, 24);
    const f = (m: JaxArray) => {
      const o = grpo(arr([0.1, -0.2, 0.3]), [0.1, -0.2, 0.3], [1, -1, 0.5], cfg, { meanTheta: m, meanRef: ref, std: [0.3, 0.7, 1.1] });
      disposeAux(o.aux);
      return o.loss;
    };
    await checkGradient(f, mean0, [3, 8], { h: 1e-2, rtol: 1e-4 });
  });
});

/** Pair data as one stacked [2P, …] array (winners first) so one gradient covers both sides. */
function pairInputs(x: JaxArray, d: { vRef: Float32Array; v: Float32Array; t: Float32Array }, p: number, shape: number[]): PairInputs {
  const [w, l] = np.split(x, 2, 0) as [JaxArray, JaxArray];
  const n = d.vRef.length / 2;
  return {
    winner: { vTheta: w, vRef: arr(d.vRef.slice(0, n), shape), v: arr(d.v.slice(0, n), shape) },
    loser: { vTheta: l, vRef: arr(d.vRef.slice(n), shape), v: arr(d.v.slice(n), shape) },
    t: arr(d.t),
    weight: arr(Array.from({ length: p }, () => 1 / p)),
  };
}

/**
 * One pair, two dims, β = 2 (β_t/2 = 1):
 *   winner: v = (1, 0), v_θ = (1, 0), v_ref = (0, 0) → L_θ^w = 0,   L_ref^w = 0.5
 *   loser:  v = (0, 1), v_θ = (0, 0), v_ref = (0, 1) → L_θ^l = 0.5, L_ref^l = 0
 *   u = −1·[(0 − 0.5) − (0.5 − 0)] = 1
 */
const TINY_PAIR = () => ({
  winner: { vTheta: arr([1, 0], [1, 1, 2]), vRef: arr([0, 0], [1, 1, 2]), v: arr([1, 0], [1, 1, 2]) },
  loser: { vTheta: arr([0, 0], [1, 1, 2]), vRef: arr([0, 1], [1, 1, 2]), v: arr([0, 1], [1, 1, 2]) },
  t: arr([0.5]),
  weight: arr([1]),
});
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function pairData(seed: number, p: number) {
  const next = rng(seed);
  const n = 2 * p * 16;
  const vTheta = normal(next, n);
  return { vTheta, vRef: add(vTheta, normal(next, n, 0.5)), v: normal(next, n), t: uniform(next, p, 0.1, 0.9) };
}

describe("Flow-DPO", () => {
  it("golden value: −log σ(u)", async () => {
    const { loss, aux } = flowDpoLoss(TINY_PAIR(), flowDpoConfigSchema.parse({ beta: 2 }));
    expect(await scalar(aux.margin)).toBeCloseTo(1, 6);
    expect(await scalar(aux.implicitAcc)).toBe(1);
    expect(await scalar(loss)).toBeCloseTo(-Math.log(sigmoid(1)), 6); // 0.313262
  });

  for (const schedule of ["constant", "one-minus-t-squared", "t-squared"] as const) {
    it(`finite-difference gradient w.r.t. winner and loser v_θ (β_t ${schedule})`, async () => {
      const p = 3;
      const d = pairData(51, p);
      const cfg: FlowDpoConfig = flowDpoConfigSchema.parse({ beta: 2, betaSchedule: schedule });
      const f = (x: JaxArray) => { const o = flowDpoLoss(pairInputs(x, d, p, [p, 4, 4]), cfg); disposeAux(o.aux); return o.loss; };
      // log σ of a quadratic: smooth, truncation ≲ 1e-4 relative at h = 1e-2.
      await checkGradient(f, d.vTheta, [2 * p, 4, 4], { h: 1e-2, rtol: 1e-3 });
    });
  }
});

describe("DSPO", () => {
  it("golden value: ‖(v_θ^w − v_w) − γ(1 − σ(u))(v_θ^w − v_ref^w)‖²", async () => {
    // v_θ^w − v_w = 0; shift = (1 − σ(1))·(1, 0) → loss = (1 − σ(1))²/2
    const { loss, aux } = dspoLoss(TINY_PAIR(), dspoConfigSchema.parse({ beta: 2, gamma: 1 }));
    disposeAux(aux);
    expect(await scalar(loss)).toBeCloseTo((1 - sigmoid(1)) ** 2 / 2, 6); // 0.0361647
  });

  it("finite-difference gradient w.r.t. winner and loser v_θ (σ(u) not detached: the loser gets gradient)", async () => {
    const p = 3;
    const d = pairData(52, p);
    const cfg: DspoConfig = dspoConfigSchema.parse({ beta: 2, gamma: 0.8 });
    const f = (x: JaxArray) => { const o = dspoLoss(pairInputs(x, d, p, [p, 4, 4]), cfg); disposeAux(o.aux); return o.loss; };
    const g = await values(jax.grad(f)(arr(d.vTheta, [2 * p, 4, 4])));
    expect(Math.max(...g.slice(p * 16).map(Math.abs))).toBeGreaterThan(1e-4);
    await checkGradient(f, d.vTheta, [2 * p, 4, 4], { h: 1e-2, rtol: 1e-3 });
  });
});

describe("Diffusion-KTO", () => {
  const two = (cfg: DiffusionKtoConfig) =>
    diffusionKtoLoss(
      {
        vTheta: arr([1, 0, 0, 0.5], [2, 1, 2]),
        vRef: arr([0, 0, 0, 1], [2, 1, 2]),
        v: arr([1, 0, 0, 1], [2, 1, 2]),
        t: arr([0.5, 0.5]),
        label: arr([1, 0]),
        weight: arr([0.5, 0.5]),
      },
      cfg,
    );

  it("golden value with a positive KL reference point", async () => {
    // β = 2. Sample 1 (desirable): ‖v − v_ref‖² = 0.5, ‖v − v_θ‖² = 0     → g = 1
    //        Sample 2 (undesirable): ‖v − v_ref‖² = 0, ‖v − v_θ‖² = 0.125 → g = −0.25
    // z0 = max(mean g, 0) = 0.375; h = σ(+1·(1 − 0.375)) = σ(−1·(−0.25 − 0.375)) = σ(0.625)
    // L = mean(1 − h) = 1 − σ(0.625)
    const { loss, aux } = two(diffusionKtoConfigSchema.parse({ beta: 2 }));
    expect(await scalar(aux.z0)).toBeCloseTo(0.375, 6);
    expect(await scalar(aux.accuracy)).toBe(1);
    expect(await scalar(loss)).toBeCloseTo(1 - sigmoid(0.625), 6); // 0.348645
  });

  it("finite-difference gradient with z0 held (it is a stop-gradient)", async () => {
    const next = rng(61);
    const vTheta = normal(next, N);
    const d = { vRef: add(vTheta, normal(next, N, 0.5)), v: normal(next, N), t: uniform(next, B, 0.1, 0.9) };
    const cfg = diffusionKtoConfigSchema.parse({ beta: 2, betaSchedule: "one-minus-t-squared", lambdaUndesirable: 1.5 });
    const call = (x: JaxArray, z0?: number) =>
      diffusionKtoLoss(
        { vTheta: x, vRef: arr(d.vRef, SHAPE), v: arr(d.v, SHAPE), t: arr(d.t), label: arr([1, 0, 1, 0]), weight: arr([0.25, 0.25, 0.25, 0.25]) },
        cfg,
        z0 === undefined ? {} : { z0: arr([z0], []) },
      );
    const at = call(arr(vTheta, SHAPE));
    const z0 = await scalar(at.aux.z0);
    at.aux.accuracy.dispose();
    at.loss.dispose();
    const f = (x: JaxArray) => { const o = call(x, z0); disposeAux(o.aux); return o.loss; };
    await checkGradient(f, vTheta, SHAPE, { h: 1e-2, rtol: 1e-3 });
  });
});
