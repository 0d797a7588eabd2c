/**
 * NaSPO (Eq. 8, 14–19): its equivalence with DiffusionNFT's kernel (anchors-algorithms.md §4.6), its
 * on-policy limit, finite-difference gradient checks of every switch, and a golden value.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, nn, np, type JaxArray } from "../../src/runtime/jax.js";
import { naspoAdvantages } from "../../src/rl/advantages.js";
import { nftKernel } from "../../src/rl/diffusion-nft.js";
import { implicitReward } from "../../src/rl/implicit-reward.js";
import { naspoConfigSchema, naspoLoss, type NaspoConfig, type NaspoFrozen } from "../../src/rl/naspo.js";
import { weightedSum } from "../../src/rl/ops.js";
import { add, arr, disposeAux, checkGradient, expectClose, normal, peek, rng, scalar, uniform, values } from "./helpers.js";

const B = 4;
const SHAPE = [B, 4, 4];
const D = 16;
const N = B * D;

interface Data {
  vTheta: Float32Array;
  vOld: Float32Array;
  vRef: Float32Array;
  v: Float32Array;
  t: Float32Array;
  adv: Float32Array;
  weight: Float32Array;
}

/** Random data at the scale where σ(Δ) varies: v_old and v_ref are v_θ plus 0.1-scale noise. */
function data(seed: number): Data {
  const next = rng(seed);
  const vTheta = normal(next, N);
  return {
    vTheta,
    vOld: add(vTheta, normal(next, N, 0.1)),
    vRef: add(vTheta, normal(next, N, 0.1)),
    v: normal(next, N),
    t: uniform(next, B, 0.1, 0.9),
    adv: Float32Array.from([0.05, 0.4, 0.7, 1]),
    weight: Float32Array.from([0.25, 0.25, 0.25, 0.25]),
  };
}

function run(d: Data, vTheta: JaxArray, cfg: NaspoConfig, frozen?: NaspoFrozen) {
  return naspoLoss(
    {
      vTheta,
      vOld: arr(d.vOld, SHAPE),
      vRef: arr(cfg.reference === "old-policy" ? d.vOld : d.vRef, SHAPE),
      v: arr(d.v, SHAPE),
      t: arr(d.t),
      pref: arr(d.adv),
      weight: arr(d.weight),
    },
    cfg,
    frozen,
  );
}


const cfgOf = (over: Partial<NaspoConfig>): NaspoConfig => naspoConfigSchema.parse({ beta: 50, ...over });

/** The frozen (stop-gradient) values NaSPO used at v_θ = d.vTheta, as plain numbers. */
async function frozenAt(d: Data, cfg: NaspoConfig): Promise<{ delta: Float32Array; sigmaArg: Float32Array; qOld: Float32Array; wPos?: Float32Array; wNeg?: Float32Array; loss: number }> {
  const { loss, aux } = run(d, arr(d.vTheta, SHAPE), cfg);
  const out = {
    loss: await scalar(loss),
    delta: await peek(aux.delta),
    sigmaArg: await peek(aux.sigmaArg),
    qOld: await peek(aux.qOld),
    wPos: aux.wPos ? await peek(aux.wPos) : undefined,
    wNeg: aux.wNeg ? await peek(aux.wNeg) : undefined,
  };
  disposeAux(aux);
  return out;
}

/** Σ w·(x − x̄)² / Σ w under the square root, x̄ the weighted mean: the batch std of Δ̃, by hand. */
function weightedStdByHand(x: ArrayLike<number>, w: ArrayLike<number>): number {
  let sw = 0;
  let sx = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i] as number;
    sx += (w[i] as number) * (x[i] as number);
  }
  const m = sx / sw;
  let sv = 0;
  for (let i = 0; i < x.length; i++) sv += (w[i] as number) * ((x[i] as number) - m) ** 2;
  return Math.sqrt(sv / sw);
}

function frozenArrays(f: Awaited<ReturnType<typeof frozenAt>>, withDelta: boolean, deltaStd?: number): NaspoFrozen {
  const fr: NaspoFrozen = { qOld: arr(f.qOld) };
  if (withDelta) fr.sigmaArg = arr(f.sigmaArg);
  if (deltaStd !== undefined) fr.deltaStd = arr([deltaStd]).reshape([]);
  if (f.wPos) fr.wPos = arr(f.wPos);
  if (f.wNeg) fr.wNeg = arr(f.wNeg);
  return fr;
}

beforeAll(async () => {
  await initJax();
});

describe("NaSPO equals DiffusionNFT's kernel with β⁺ = σ(r − Q_old), β⁻ = σ(Q_old − r)", () => {
  for (const space of ["velocity", "x0"] as const) {
    for (const qOld of ["batch-old-deviation", "old-implicit-reward"] as const) {
      it(`loss and gradient, σ without gradient (${space} space, Q_old ${qOld})`, async () => {
        const d = data(11);
        const cfg = cfgOf({ space, qOld });
        const fz = await frozenAt(d, cfg);
        const sigma = Float32Array.from(fz.delta, (x) => 1 / (1 + Math.exp(-x)));
        const sigmaNeg = Float32Array.from(fz.delta, (x) => 1 / (1 + Math.exp(x)));
        // Δ is not degenerate here: σ(Δ) spreads away from ½, so β⁺ ≠ β⁻ ≠ const.
        expect(Math.max(...sigma) - Math.min(...sigma)).toBeGreaterThan(0.2);
        const nft = (vTheta: JaxArray) =>
          weightedSum(
            nftKernel(
              { vTheta, vOld: arr(d.vOld, SHAPE), v: arr(d.v, SHAPE), t: arr(d.t), r: arr(d.adv), betaPos: arr(sigma), betaNeg: arr(sigmaNeg) },
              space,
            ).perSample,
            arr(d.weight),
          );
        const naspo = (vTheta: JaxArray) => {
          const { loss, aux } = run(d, vTheta, cfg);
          disposeAux(aux);
          return loss;
        };
        const lN = await scalar(naspo(arr(d.vTheta, SHAPE)));
        const lK = await scalar(nft(arr(d.vTheta, SHAPE)));
        expect(Math.abs(lN - lK)).toBeLessThanOrEqual(1e-5 * Math.abs(lK));
        const gN = await values(jax.grad(naspo)(arr(d.vTheta, SHAPE)));
        const gK = await values(jax.grad(nft)(arr(d.vTheta, SHAPE)));
        const scale = Math.max(...gK.map(Math.abs));
        expectClose(gN, gK, 1e-5 * scale);
      });
    }
  }

  it("loss and gradient, σ with gradient (β⁺, β⁻ as functions of v_θ through r)", async () => {
    const d = data(12);
    const cfg = cfgOf({ sigmaGrad: true });
    const fz = await frozenAt(d, cfg);
    const nft = (vTheta: JaxArray) => {
      // r(v_θ) by Eq. 8 with the same β_t; Q_old frozen as NaSPO freezes it.
      const r = implicitReward(vTheta.ref, arr(d.vRef, SHAPE), arr(d.v, SHAPE), np.full([B], cfg.beta));
      const delta = r.sub(arr(fz.qOld));
      return weightedSum(
        nftKernel(
          { vTheta, vOld: arr(d.vOld, SHAPE), v: arr(d.v, SHAPE), t: arr(d.t), r: arr(d.adv), betaPos: nn.sigmoid(delta.ref), betaNeg: nn.sigmoid(delta.neg()) },
          "velocity",
        ).perSample,
        arr(d.weight),
      );
    };
    const naspo = (vTheta: JaxArray) => {
      const { loss, aux } = run(d, vTheta, cfg);
      disposeAux(aux);
      return loss;
    };
    const gN = await values(jax.grad(naspo)(arr(d.vTheta, SHAPE)));
    const gK = await values(jax.grad(nft)(arr(d.vTheta, SHAPE)));
    expectClose(gN, gK, 1e-5 * Math.max(...gK.map(Math.abs)));
    // …and the σ-gradient matters: it differs from the σ-without-gradient gradient.
    const noSig = (vTheta: JaxArray) => {
      const { loss, aux } = run(d, vTheta, cfgOf({}));
      disposeAux(aux);
      return loss;
    };
    const g0 = await values(jax.grad(noSig)(arr(d.vTheta, SHAPE)));
    expect(Math.max(...g0.map((g, i) => Math.abs(g - (gN[i] as number))))).toBeGreaterThan(1e-3 * Math.max(...gN.map(Math.abs)));
  });
});

describe("NaSPO at the on-policy point v_θ = v_old", () => {
  // With reference = old policy (or Q_old = the old policy's implicit reward), r = Q_old = 0 exactly,
  // so Δ = 0 and σ(Δ) = ½. Then v⁺ = v⁻ = v and per sample
  //   L = Adv·‖v_θ − v‖² + (1 − Adv)·‖v_θ − v‖² = ‖v_θ − v‖²          (the loss is plain flow matching)
  //   ∇_{v_θ} L = (1/D)·(2·Adv − 1)·(v_θ − v) = (1/D)·clip(z, −1, 1)·(v_θ − v)
  // i.e. the gradient of ½·clip(z, −1, 1)·‖v_θ − v‖²: flow matching toward the sample when z > 0, away
  // from it when z < 0, weighted by the clipped within-group z-score (Eq. 14: 2·Adv − 1 = clip(z)).
  const s = [0.1, 0.5, 0.45, 3, 2, 2.2, -1, 0.3];
  const groups = ["a", "a", "a", "a", "b", "b", "b", "b"];
  const eq14 = naspoAdvantages(s, groups);
  const z = eq14.z.slice(0, B);
  const adv = Float32Array.from(eq14.adv.slice(0, B));

  function onPolicy(seed: number): Data {
    const d = data(seed);
    return { ...d, vOld: Float32Array.from(d.vTheta), adv };
  }

  for (const sigmaGrad of [false, true]) {
    it(`reduces to clip(z, −1, 1)-weighted flow matching (σ ${sigmaGrad ? "with" : "without"} gradient)`, async () => {
      expect(z.some((x) => Math.abs(x) > 1)).toBe(true); // some samples are clipped
      const d = onPolicy(21);
      const cfg = cfgOf({ reference: "old-policy", sigmaGrad });
      const { loss, aux } = run(d, arr(d.vTheta, SHAPE), cfg);
      expectClose(await peek(aux.delta), [0, 0, 0, 0], 0);
      expectClose(await peek(aux.sigma), [0.5, 0.5, 0.5, 0.5], 0);
      disposeAux(aux);
      const fm = Array.from({ length: B }, (_, i) => {
        let sq = 0;
        for (let j = 0; j < D; j++) sq += ((d.vTheta[i * D + j] as number) - (d.v[i * D + j] as number)) ** 2;
        return sq / D;
      });
      const expectedLoss = fm.reduce((a, x, i) => a + (d.weight[i] as number) * x, 0);
      expect(Math.abs((await scalar(loss)) - expectedLoss)).toBeLessThanOrEqual(1e-6 * expectedLoss);
      const g = await values(
        jax.grad((vTheta: JaxArray) => {
          const out = run(d, vTheta, cfg);
          disposeAux(out.aux);
          return out.loss;
        })(arr(d.vTheta, SHAPE)),
      );
      const expected = Float32Array.from({ length: N }, (_, k) => {
        const i = Math.floor(k / D);
        const clipZ = Math.min(1, Math.max(-1, z[i] as number));
        return ((d.weight[i] as number) * clipZ * ((d.vTheta[k] as number) - (d.v[k] as number))) / D;
      });
      expectClose(g, expected, 1e-6 * Math.max(...expected.map(Math.abs)));
    });
  }

  it("with the cold-start reference Δ = r ≠ 0 and the weight becomes 2·(σ(r) + Adv − 1)", async () => {
    const d = onPolicy(22);
    const cfg = cfgOf({ reference: "cold-start" });
    const { aux } = run(d, arr(d.vTheta, SHAPE), cfg);
    const sigma = await peek(aux.sigma);
    const reward = await peek(aux.reward);
    disposeAux(aux);
    expectClose(sigma, Float32Array.from(reward, (r) => 1 / (1 + Math.exp(-r))), 1e-6); // Q_old = 0 on-policy
    const g = await values(
      jax.grad((vTheta: JaxArray) => {
        const out = run(d, vTheta, cfg);
        disposeAux(out.aux);
        return out.loss;
      })(arr(d.vTheta, SHAPE)),
    );
    const expected = Float32Array.from({ length: N }, (_, k) => {
      const i = Math.floor(k / D);
      return ((d.weight[i] as number) * 2 * ((sigma[i] as number) + (adv[i] as number) - 1) * ((d.vTheta[k] as number) - (d.v[k] as number))) / D;
    });
    expectClose(g, expected, 1e-5 * Math.max(...expected.map(Math.abs)));
  });
});

describe("NaSPO finite-difference gradient checks", () => {
  const cases: [string, Partial<NaspoConfig>, number, number][] = [
    // [name, switches, h, rtol]. With σ and the x0 weights frozen the loss is quadratic in v_θ, so
    // central differences are exact up to rounding (rtol 1e-4 is spare); σ with gradient adds the
    // curvature of σ(Δ(v_θ)), whose O(h²) truncation stays below 1e-3 at h = 1e-2 and β = 10.
    ["default (velocity, σ without gradient, batch Q_old)", {}, 1e-2, 1e-4],
    ["x0 space", { space: "x0" }, 1e-2, 1e-4],
    ["Q_old = old implicit reward, old-policy reference", { qOld: "old-implicit-reward", reference: "old-policy" }, 1e-2, 1e-4],
    ["β_t = β(1 − t)²", { betaSchedule: "one-minus-t-squared" }, 1e-2, 1e-4],
    ["β_t = βt², with KL", { betaSchedule: "t-squared", klWeight: 0.5 }, 1e-2, 1e-4],
    ["σ with gradient", { sigmaGrad: true, beta: 10 }, 1e-2, 1e-3],
    ["σ with gradient, x0 space", { sigmaGrad: true, beta: 10, space: "x0" }, 1e-2, 1e-3],
    ["normalised Δ̃ (batch std), σ without gradient", { deltaNorm: "batch-std", deltaTau: 1.5 }, 1e-2, 1e-4],
    ["normalised Δ̃ (batch std), σ with gradient (the std a constant)", { deltaNorm: "batch-std", deltaTau: 1.5, sigmaGrad: true, beta: 10 }, 1e-2, 1e-3],
    ["normalised Δ̃ (batch z-score), σ without gradient", { deltaNorm: "batch-z", deltaTau: 1 }, 1e-2, 1e-4],
    ["σ fixed at ½", { sigma: "half" }, 1e-2, 1e-4],
  ];
  for (const [name, over, h, rtol] of cases) {
    it(name, async () => {
      const d = data(31);
      const cfg = cfgOf(over);
      const fz = await frozenAt(d, cfg);
      const f = (vTheta: JaxArray) => {
        const std = cfg.deltaNorm === "batch-std" && cfg.sigmaGrad ? weightedStdByHand(fz.delta, d.weight) : undefined;
        const { loss, aux } = run(d, vTheta, cfg, frozenArrays(fz, !cfg.sigmaGrad, std));
        disposeAux(aux);
        return loss;
      };
      const res = await checkGradient(f, d.vTheta, SHAPE, { h, rtol });
      expect(res.checked).toBe(8);
    });
  }
});

describe("NaSPO with the normalised Δ̃ = τ·Δ / (std_batch Δ + 1e-6)", () => {
  it("Δ̃ by hand over the valid samples only; σ(Δ̃) = the σ used, spread set by τ", async () => {
    const d = { ...data(41), weight: Float32Array.from([1 / 3, 1 / 3, 0, 1 / 3]) }; // sample 2 is masked
    const tau = 1.5;
    const { aux, loss } = run(d, arr(d.vTheta, SHAPE), cfgOf({ deltaNorm: "batch-std", deltaTau: tau }));
    loss.dispose();
    const delta = await peek(aux.delta);
    const arg = await peek(aux.sigmaArg);
    const sigma = await peek(aux.sigma);
    disposeAux(aux);
    const std = weightedStdByHand(delta, d.weight);
    expect(std).toBeGreaterThan(1e-3); // far above the 1e-6 floor
    expectClose(arg, Float32Array.from(delta, (x) => (tau * x) / (std + 1e-6)), 1e-5, 1e-5);
    expectClose(sigma, Float32Array.from(arg, (x) => 1 / (1 + Math.exp(-x))), 1e-6);
    expect(weightedStdByHand(arg, d.weight)).toBeCloseTo(tau, 4); // the valid samples' Δ̃ have std τ

    const z = run(d, arr(d.vTheta, SHAPE), cfgOf({ deltaNorm: "batch-z", deltaTau: tau }));
    z.loss.dispose();
    const zArg = await peek(z.aux.sigmaArg);
    disposeAux(z.aux);
    const valid = [0, 1, 3];
    const mean = valid.reduce((a, i) => a + (delta[i] as number), 0) / valid.length;
    expectClose(zArg, Float32Array.from(delta, (x) => (tau * (x - mean)) / (std + 1e-6)), 1e-5, 1e-5); // centred on the valid samples' mean
  });

  it("σ(Δ̃) does not depend on β (constant β_t: Δ is proportional to β), while σ(Δ) does", async () => {
    const d = data(42);
    const sigmaAt = async (over: Partial<NaspoConfig>): Promise<Float32Array> => {
      const { aux, loss } = run(d, arr(d.vTheta, SHAPE), cfgOf(over));
      loss.dispose();
      const s = await peek(aux.sigma);
      disposeAux(aux);
      return s;
    };
    const a = await sigmaAt({ deltaNorm: "batch-std", deltaTau: 2, beta: 10 });
    const b = await sigmaAt({ deltaNorm: "batch-std", deltaTau: 2, beta: 1000 });
    expectClose(a, b, 1e-5);
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(0.3);
    const raw10 = await sigmaAt({ beta: 10 });
    expect(Math.max(...raw10.map((x) => Math.abs(x - 0.5)))).toBeLessThan(0.2); // β = 10: σ(Δ) near ½
  });
});

describe("NaSPO with σ fixed at ½ (the ablation arm)", () => {
  it("is DiffusionNFT's kernel with β⁺ = β⁻ = ½: loss and gradient; σ reported as ½", async () => {
    const d = data(43);
    const cfg = cfgOf({ sigma: "half", space: "x0" });
    const half = Float32Array.from({ length: B }, () => 0.5);
    const nft = (vTheta: JaxArray) =>
      weightedSum(
        nftKernel({ vTheta, vOld: arr(d.vOld, SHAPE), v: arr(d.v, SHAPE), t: arr(d.t), r: arr(d.adv), betaPos: arr(half), betaNeg: arr(half) }, "x0").perSample,
        arr(d.weight),
      );
    const naspo = (vTheta: JaxArray) => {
      const { loss, aux } = run(d, vTheta, cfg);
      disposeAux(aux);
      return loss;
    };
    const { aux, loss } = run(d, arr(d.vTheta, SHAPE), cfg);
    loss.dispose();
    expectClose(await peek(aux.sigma), half, 0);
    disposeAux(aux);
    const lN = await scalar(naspo(arr(d.vTheta, SHAPE)));
    const lK = await scalar(nft(arr(d.vTheta, SHAPE)));
    expect(Math.abs(lN - lK)).toBeLessThanOrEqual(1e-5 * Math.abs(lK));
    const gN = await values(jax.grad(naspo)(arr(d.vTheta, SHAPE)));
    const gK = await values(jax.grad(nft)(arr(d.vTheta, SHAPE)));
    expectClose(gN, gK, 1e-5 * Math.max(...gK.map(Math.abs)));
  });
});

describe("NaSPO golden value", () => {
  it("one sample, two dimensions, by hand", async () => {
    // v_θ = (1, 0), v_old = (0.5, 0), v_ref = (0, 0), v = (1, 1), t = 0.5, Adv = 0.75, β = 2, batch Q_old.
    // (8)  ‖v − v_θ‖² = (0 + 1)/2 = 0.5, ‖v − v_ref‖² = (1 + 1)/2 = 1 → r = −1·(0.5 − 1) = 0.5
    //      ‖v_θ − v_old‖² = 0.25/2 = 0.125 → Q_old = −1·0.125 = −0.125 → Δ = 0.625, a = σ(0.625), b = 1 − a
    // (15) v⁺ = v + (1 − a)(0.5, 0);  (18) v⁻ = v + (1 + b)(0.5, 0)
    // (19) L = 0.75·‖v_θ − v⁺‖² + 0.25·‖v_θ − v⁻‖²
    const a = 1 / (1 + Math.exp(-0.625));
    const b = 1 - a;
    const sq = (x: number, y: number) => (x * x + y * y) / 2;
    const expected = 0.75 * sq(1 - (1 + (1 - a) * 0.5), 0 - 1) + 0.25 * sq(1 - (1 + (1 + b) * 0.5), 0 - 1);
    const { loss, aux } = naspoLoss(
      {
        vTheta: arr([1, 0], [1, 1, 2]),
        vOld: arr([0.5, 0], [1, 1, 2]),
        vRef: arr([0, 0], [1, 1, 2]),
        v: arr([1, 1], [1, 1, 2]),
        t: arr([0.5]),
        pref: arr([0.75]),
        weight: arr([1]),
      },
      cfgOf({ beta: 2 }),
    );
    expect((await peek(aux.delta))[0]).toBeCloseTo(0.625, 6);
    disposeAux(aux);
    expect(await scalar(loss)).toBeCloseTo(expected, 6);
  });
});
