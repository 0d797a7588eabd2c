import { beforeAll, describe, expect, it } from "vitest";
import { initJax, np, random } from "../../src/runtime/jax.js";
import { sampleOde, timeGrid, type OdeSolver } from "../../src/flow/index.js";
import { exactFlowMap, exactVelocity, maxAbsDiff, type GaussianData } from "./gaussian-field.js";

beforeAll(async () => {
  await initJax();
});

const data: GaussianData = { mu: [1.5, -0.5], s: [0.3, 2] };

async function odeError(solver: OdeSolver, steps: number, shift: { mu: number } | "none"): Promise<number> {
  const x1 = random.normal(random.key(11), [256, 2]);
  const noise = (await x1.ref.data()) as Float32Array;
  const x0 = await (await sampleOde(exactVelocity(data), x1, timeGrid(steps, shift), solver)).data();
  return maxAbsDiff(x0, exactFlowMap(data, noise, 0));
}

describe("ODE samplers on a Gaussian with a closed-form velocity", () => {
  it("Euler and DPM-Solver++(2M) with many steps reproduce the analytic ODE solution x0 = μ + s·x1", async () => {
    // data scale is s = 0.3 and 2; errors are max-abs over 256 samples of x1 ~ N(0, 1)
    expect(await odeError("euler", 800, "none")).toBeLessThan(2e-2);
    expect(await odeError("dpm2m", 200, "none")).toBeLessThan(2e-3);
    expect(await odeError("dpm2m", 200, { mu: 1.15 })).toBeLessThan(5e-3);
  });

  it("Euler converges at first order: halving the step roughly halves the error", async () => {
    const e20 = await odeError("euler", 20, "none");
    const e40 = await odeError("euler", 40, "none");
    expect(e20 / e40).toBeGreaterThan(1.6);
    expect(e20 / e40).toBeLessThan(2.5);
  });

  it("DPM-Solver++(2M) is more accurate than Euler at few steps, and converges faster", async () => {
    expect(await odeError("dpm2m", 4, { mu: 0.63 })).toBeLessThan(await odeError("euler", 4, { mu: 0.63 }));
    for (const steps of [6, 10]) {
      const euler = await odeError("euler", steps, { mu: 0.63 });
      const dpm = await odeError("dpm2m", steps, { mu: 0.63 });
      expect(dpm).toBeLessThan(euler / 2);
    }
    const ratio = (await odeError("dpm2m", 50, "none")) / (await odeError("dpm2m", 400, "none"));
    expect(ratio).toBeGreaterThan(20); // second order would give 64; first order 8
  });

  it("a one-step solve from t = 1 is the data prediction x1 − v(x1, 1) for both solvers", async () => {
    const x1 = np.array([0.3, -1.2, 2, 0.1]).reshape([2, 2]);
    const euler = await (await sampleOde(exactVelocity(data), x1.ref, [1, 0], "euler")).data();
    const dpm = await (await sampleOde(exactVelocity(data), x1.ref, [1, 0], "dpm2m")).data();
    const pred = await x1.ref.sub(exactVelocity(data)(x1, 1)).data();
    expect(maxAbsDiff(euler, pred)).toBeLessThan(1e-6);
    expect(maxAbsDiff(dpm, pred)).toBeLessThan(1e-6);
  });
});
