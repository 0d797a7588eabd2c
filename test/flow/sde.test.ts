import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, random, type JaxArray } from "../../src/runtime/jax.js";
import {
  cpsStepLogProb,
  cpsTransition,
  eulerStep,
  flowSdeTransition,
  sampleOde,
  sampleSde,
  sdeStepLogProb,
  timeGrid,
  type SdeRollout,
} from "../../src/flow/index.js";
import { columnStats, exactVelocity, maxAbsDiff, type GaussianData } from "./gaussian-field.js";

beforeAll(async () => {
  await initJax();
});

const data: GaussianData = { mu: [1.5, -0.5], s: [0.3, 2] };
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Hand-written Flow-SDE log-density of one sample (mean over dims), in float64. */
function handFlowSde(x: number[], v: number[], xn: number[], s: number, sn: number, a: number, max1 = sn): number {
  const sigma = a * Math.sqrt(s / (1 - (s === 1 ? max1 : s)));
  const dt = sn - s;
  const std = sigma * Math.sqrt(-dt);
  let lp = 0;
  x.forEach((xi, i) => {
    const mean = xi * (1 + ((sigma * sigma) / (2 * s)) * dt) + (v[i] as number) * (1 + (sigma * sigma * (1 - s)) / (2 * s)) * dt;
    lp += -(((xn[i] as number) - mean) ** 2) / (2 * std * std) - Math.log(std) - LOG_SQRT_2PI;
  });
  return lp / x.length;
}

function disposeRollout(r: SdeRollout): void {
  for (const s of r.steps) {
    s.xt.dispose();
    s.xNext.dispose();
    s.logProb.dispose();
  }
}

describe("Flow-SDE and CPS steps", () => {
  const x = [0.4, -1.3, 2.1, 0.05];
  const v = [-0.7, 0.9, 1.2, -0.3];
  const xn = [0.6, -1.1, 1.5, 0.2];

  it("with noise_level = 0 the Flow-SDE and CPS means are the Euler step and std is 0", async () => {
    for (const [t, tn] of [[1, 0.8], [0.6, 0.35], [0.2, 0]] as const) {
      const euler = await eulerStep(np.array(x), np.array(v), t, tn).data();
      const sde = flowSdeTransition(np.array(v), np.array(x), t, tn, 0);
      const cps = cpsTransition(np.array(v), np.array(x), t, tn, 0);
      expect(maxAbsDiff(await sde.mean.data(), euler)).toBeLessThan(1e-6);
      expect(maxAbsDiff(await cps.mean.data(), euler)).toBeLessThan(1e-6);
      expect(Array.from(await sde.std.data())).toEqual([0]);
      expect(Array.from(await cps.std.data())).toEqual([0]);
    }
  });

  it("a noise_level = 0 SDE rollout equals the Euler ODE sampler", async () => {
    const grid = timeGrid(6, { mu: 0.63 });
    const x1 = random.normal(random.key(1), [64, 2]);
    const ode = await (await sampleOde(exactVelocity(data), x1.ref, grid, "euler")).data();
    for (const kind of ["flow-sde", "cps"] as const) {
      const r = await sampleSde(exactVelocity(data), x1.ref, grid, random.key(2), { kind, noiseLevel: 0 });
      expect(r.steps).toHaveLength(0);
      expect(maxAbsDiff(await r.x0.data(), ode)).toBeLessThan(1e-5);
    }
    x1.dispose();
  });

  it("the Flow-SDE log-prob equals a hand-computed Gaussian (mean and sum over dims, the t = 1 boundary)", async () => {
    for (const [t, tn] of [[0.6, 0.4], [1, 0.85], [0.15, 0]] as const) {
      const lp = await sdeStepLogProb(np.array([v]), np.array([x]), np.array([xn]), t, tn, 0.7).data();
      const hand = handFlowSde(x, v, xn, t, tn, 0.7);
      expect(lp[0]).toBeCloseTo(hand, 4);
      const sum = await sdeStepLogProb(np.array([v]), np.array([x]), np.array([xn]), t, tn, 0.7, "sum").data();
      expect(sum[0]).toBeCloseTo(hand * x.length, 3);
    }
  });

  it("per-sample times give each sample its own transition", async () => {
    const xs = np.array([x, x.map((a) => -a)]);
    const vs = np.array([v, v]);
    const xns = np.array([xn, xn]);
    const lp = await sdeStepLogProb(vs, xs, xns, np.array([0.6, 1]), np.array([0.4, 0.85]), 0.9).data();
    expect(lp[0]).toBeCloseTo(handFlowSde(x, v, xn, 0.6, 0.4, 0.9), 4);
    expect(lp[1]).toBeCloseTo(handFlowSde(x.map((a) => -a), v, xn, 1, 0.85, 0.9), 4);
  });

  it("the CPS log-prob equals a hand-computed Gaussian with std = t'·sin(aπ/2)", async () => {
    const [s, sn, a] = [0.7, 0.45, 0.8];
    const std = sn * Math.sin((a * Math.PI) / 2);
    let hand = 0;
    x.forEach((xi, i) => {
      const x0 = xi - s * (v[i] as number);
      const eps = xi + (1 - s) * (v[i] as number);
      const mean = (1 - sn) * x0 + Math.sqrt(sn * sn - std * std) * eps;
      hand += -(((xn[i] as number) - mean) ** 2) / (2 * std * std) - Math.log(std) - LOG_SQRT_2PI;
    });
    const lp = await cpsStepLogProb(np.array([v]), np.array([x]), np.array([xn]), s, sn, a).data();
    expect(lp[0]).toBeCloseTo(hand / x.length, 4);
  });

  it("sdeStepLogProb is traceable: jit gives the eager value, grad w.r.t. v matches finite differences", async () => {
    const f = (vp: JaxArray, xt: JaxArray, xNext: JaxArray, t: JaxArray, tn: JaxArray) =>
      sdeStepLogProb(vp, xt, xNext, t, tn, 0.7).sum();
    const args = () => [np.array([v]), np.array([x]), np.array([xn]), np.array([0.6]), np.array([0.4])] as const;
    const eager = (await f(...args()).data())[0] as number;
    const jitted = jax.jit(f);
    expect((await jitted(...args()).data())[0]).toBeCloseTo(eager, 5);
    const g = await jax.grad(f)(...args()).data();
    const h = 1e-2;
    for (let i = 0; i < v.length; i++) {
      const plus = v.map((a, j) => (j === i ? a + h : a));
      const minus = v.map((a, j) => (j === i ? a - h : a));
      const fp = (await f(np.array([plus]), np.array([x]), np.array([xn]), np.array([0.6]), np.array([0.4])).data())[0] as number;
      const fm = (await f(np.array([minus]), np.array([x]), np.array([xn]), np.array([0.6]), np.array([0.4])).data())[0] as number;
      expect(g[i]).toBeCloseTo((fp - fm) / (2 * h), 2);
    }
    jitted.dispose();
  });
});

describe("stochastic rollouts on a Gaussian with a closed-form velocity", () => {
  it("Flow-SDE samples have the data distribution's mean and variance (within sampling error)", async () => {
    const n = 8000;
    for (const noiseLevel of [0.7, 1]) {
      const x1 = random.normal(random.key(5), [n, 2]);
      const r = await sampleSde(exactVelocity(data), x1, timeGrid(50, "none"), random.key(6), { kind: "flow-sde", noiseLevel });
      expect(r.steps).toHaveLength(50);
      disposeRollout(r);
      const { mean, variance } = columnStats(await r.x0.data(), 2);
      data.mu.forEach((m, d) => {
        const s = data.s[d] as number;
        expect(Math.abs((mean[d] as number) - m)).toBeLessThan((4 * s) / Math.sqrt(n));
        expect(Math.abs((variance[d] as number) - s * s)).toBeLessThan(4 * s * s * Math.sqrt(2 / n) + 0.002);
      });
    }
  });

  it("CPS preserves the coefficients: on point-mass data every x_t' is N((1 − t')μ, t'²) and x0 = μ", async () => {
    const point: GaussianData = { mu: [1.5, -0.5], s: [0, 0] };
    const n = 8000;
    const grid = timeGrid(6, { mu: 0.63 });
    const r = await sampleSde(exactVelocity(point), random.normal(random.key(7), [n, 2]), grid, random.key(8), {
      kind: "cps",
      noiseLevel: 0.8,
    });
    expect(r.steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]); // the last step (to t = 0) is deterministic
    for (const step of r.steps) {
      const { mean, variance } = columnStats(await step.xNext.ref.data(), 2);
      point.mu.forEach((m, d) => {
        expect(Math.abs((mean[d] as number) - (1 - step.tNext) * m)).toBeLessThan((4 * step.tNext) / Math.sqrt(n));
        expect(Math.abs(Math.sqrt(variance[d] as number) - step.tNext)).toBeLessThan(4 * step.tNext * Math.sqrt(1 / (2 * n)));
      });
    }
    disposeRollout(r);
    expect(maxAbsDiff(await r.x0.data(), Array.from({ length: 2 * n }, (_, i) => point.mu[i % 2] as number))).toBeLessThan(1e-4);
  });

  it("an SDE window records only its steps; recorded log-probs are reproduced by sdeStepLogProb (ratio 1)", async () => {
    const grid = timeGrid(6, { mu: 0.63 });
    const x1 = random.normal(random.key(9), [16, 2]);
    const opts = { kind: "flow-sde" as const, noiseLevel: 0.9, window: { start: 1, size: 2 } };
    const r = await sampleSde(exactVelocity(data), x1.ref, grid, random.key(10), opts);
    const again = await sampleSde(exactVelocity(data), x1.ref, grid, random.key(10), opts);
    expect(r.steps.map((s) => s.index)).toEqual([1, 2]);
    expect(Array.from(await again.x0.data())).toEqual(Array.from(await r.x0.ref.data()));
    disposeRollout(again);
    const firstEuler = await eulerStep(x1.ref, exactVelocity(data)(x1, grid[0]!), grid[0]!, grid[1]!).data();
    expect(maxAbsDiff(await r.steps[0]!.xt.ref.data(), firstEuler)).toBeLessThan(1e-6);
    for (const s of r.steps) {
      const lp = sdeStepLogProb(exactVelocity(data)(s.xt.ref, s.t), s.xt.ref, s.xNext.ref, s.t, s.tNext, 0.9);
      expect(maxAbsDiff(await lp.data(), await s.logProb.ref.data())).toBeLessThan(1e-5);
    }
    disposeRollout(r);
    r.x0.dispose();
  });
});
