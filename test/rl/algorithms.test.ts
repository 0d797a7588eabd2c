/**
 * The registry (names, needs, validated configs, one-line errors) and that every registered loss traces
 * inside `jit(valueAndGrad(…))` to the same value and gradient as eagerly, consuming its inputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, type JaxArray } from "../../src/runtime/jax.js";
import { UserError } from "../../src/runtime/errors.js";
import { liveArrayCount, trackLiveArrays } from "../../src/runtime/live.js";
import { algorithmNames, resolveAlgorithm } from "../../src/rl/algorithms.js";
import { Rng } from "../../src/runtime/rng.js";
import type { BoundLoss, ResolvedAlgorithm } from "../../src/rl/recipe.js";
import type { ForwardInputs, LabelledInputs, LossResult, PairInputs, SdeInputs } from "../../src/rl/inputs.js";
import { add, arr, expectClose, normal, rng, scalar, uniform, values } from "./helpers.js";

beforeAll(async () => {
  await initJax();
  await trackLiveArrays();
});

describe("registry", () => {
  it("lists every algorithm under its name, with its rollout and defaults (no reward recipe of its own)", () => {
    expect(algorithmNames()).toEqual(["naspo", "diffusion-nft", "flow-grpo", "uniworld-v2", "dspo", "diffusion-kto", "flow-dpo"]);
    for (const name of algorithmNames()) expect(resolveAlgorithm(name, {}).name).toBe(name);
    expect(resolveAlgorithm("flow-grpo", {}).rollout.kind).toBe("sde");
    expect(algorithmNames().filter((n) => resolveAlgorithm(n, {}).rollout.kind === "ode").length).toBe(6);
    for (const name of algorithmNames()) expect(Object.keys(resolveAlgorithm(name, {}))).not.toContain("rewardRecipe"); // the run's reward.recipe
    expect(resolveAlgorithm("diffusion-nft", {}).config).toMatchObject({ beta: 1, klWeight: 1e-4, advClipMax: 5, space: "x0", decayType: 1 });
    expect(resolveAlgorithm("naspo", {}).config).toMatchObject({ sigmaGrad: false, qOld: "batch-old-deviation", reference: "cold-start", betaSchedule: "constant", space: "velocity" });
    expect(resolveAlgorithm("flow-grpo", {}).config).toMatchObject({ clipRange: 1e-4, advClipMax: 5, klWeight: 0 });
  });

  it("says which extra forwards each loss needs, from its config", () => {
    expect(resolveAlgorithm("naspo", {}).needs).toEqual({ old: true, ref: true, referenceIsOld: false });
    expect(resolveAlgorithm("naspo", { reference: "old-policy" }).needs).toEqual({ old: true, ref: false, referenceIsOld: true });
    expect(resolveAlgorithm("diffusion-nft", {}).needs).toEqual({ old: true, ref: true, referenceIsOld: false });
    expect(resolveAlgorithm("diffusion-nft", { klWeight: 0 }).needs).toEqual({ old: true, ref: false, referenceIsOld: false });
    expect(resolveAlgorithm("flow-grpo", {}).needs).toEqual({ old: false, ref: false, referenceIsOld: false });
    expect(resolveAlgorithm("flow-dpo", {}).needs).toEqual({ old: false, ref: true, referenceIsOld: false });
  });

  it("declares the old-policy decay, the group filter and the per-step hook from the config", () => {
    expect(resolveAlgorithm("naspo", { decayType: 2 }).oldDecay).toBe(2);
    expect(resolveAlgorithm("dspo", {}).oldDecay).toBe(0);
    expect(resolveAlgorithm("uniworld-v2", {}).groupFilter).not.toBeNull();
    expect(resolveAlgorithm("diffusion-nft", {}).groupFilter).toBeNull();
    const dpo = resolveAlgorithm("flow-dpo", { refUpdateEvery: 3 });
    expect([1, 2, 3, 4, 5, 6].map((k) => dpo.afterStep(k).referenceToTheta)).toEqual([false, false, true, false, false, true]);
    expect(resolveAlgorithm("flow-dpo", {}).afterStep(3).referenceToTheta).toBe(false);
  });

  it("Flow-GRPO trains its window whole, else a per-sample random subset of int(T·f) steps along the whole trajectory", () => {
    const grpo = resolveAlgorithm("flow-grpo", { sdeWindowSize: 2 }).rollout;
    expect(grpo.kind === "sde" && grpo.trainedSteps(2, 0.34, new Rng(0))).toEqual([0, 1]);
    const first = resolveAlgorithm("flow-grpo", { trainedTimesteps: "first" }).rollout;
    expect(first.kind === "sde" && first.trainedSteps(6, 0.34, new Rng(0))).toEqual([0, 1]);
    const full = resolveAlgorithm("flow-grpo", {}).rollout;
    if (full.kind !== "sde") throw new Error("flow-grpo rolls out with the SDE");
    const rng = new Rng(3);
    const counts = new Array<number>(6).fill(0);
    const draws = 3000;
    for (let n = 0; n < draws; n++) {
      const s = full.trainedSteps(6, 0.34, rng);
      expect(s.length).toBe(2); // int(6·0.34)
      expect(new Set(s).size).toBe(2);
      expect([...s].sort((a, b) => a - b)).toEqual(s);
      for (const j of s) counts[j]! += 1;
    }
    // every step, low-noise ones included, is trained with probability 2/6 (binomial sd ≈ 26 of 1000)
    for (const c of counts) expect(Math.abs(c - (draws * 2) / 6)).toBeLessThan(130);
    expect(full.trainedSteps(6, 0.99, new Rng(1)).length).toBe(5); // the reference's fraction: all but one
    const again = new Rng(3);
    expect(full.trainedSteps(6, 0.34, again)).toEqual(full.trainedSteps(6, 0.34, new Rng(3))); // seeded: the same draw from the same state
  });

  it("resolves a name and raw config to the validated config, the forwards needed and a bound loss", () => {
    const r = resolveAlgorithm("naspo", { reference: "old-policy" });
    expect(r.needs).toEqual({ old: true, ref: false, referenceIsOld: true });
    expect(r.config).toMatchObject({ reference: "old-policy", beta: 1000 });
    expect(r.loss.inputs).toBe("samples");
    expect(resolveAlgorithm("flow-grpo", {}).loss.inputs).toBe("sde-steps");
    expect(resolveAlgorithm("flow-dpo", {}).loss.inputs).toBe("pairs");
    expect(resolveAlgorithm("diffusion-kto", {}).loss.inputs).toBe("labelled");
    expect(() => resolveAlgorithm("naspo", { beta: 0 })).toThrow(UserError);
  });

  it("an unknown algorithm is a UserError (exit 2) that names the valid ones", () => {
    let err: unknown;
    try {
      resolveAlgorithm("ppo", {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toBe('unknown algorithm "ppo"; valid: naspo, diffusion-nft, flow-grpo, uniworld-v2, dspo, diffusion-kto, flow-dpo');
    expect(() => resolveAlgorithm("grpo", {})).toThrow(UserError);
  });

  it("validates configs: defaults fill in, bad values and unknown keys are one-line UserErrors", () => {
    expect(resolveAlgorithm("naspo", { beta: 10, space: "x0" }).config).toMatchObject({ beta: 10, space: "x0", sigmaGrad: false });
    expect(resolveAlgorithm("flow-dpo", undefined).config).toEqual({ beta: 100, betaSchedule: "constant", refUpdateEvery: 0 });
    const bad = (name: string, raw: unknown) => {
      try {
        resolveAlgorithm(name, raw, "run.yaml: algo");
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        expect((e as UserError).exitCode).toBe(2);
        expect((e as UserError).message).not.toContain("\n");
        return (e as UserError).message;
      }
      throw new Error("accepted a bad config");
    };
    expect(bad("naspo", { beta: -1 })).toMatch(/^run\.yaml: algo\.beta: .*\(algorithm naspo\)$/);
    expect(bad("naspo", { qOld: "mean" })).toMatch(/^run\.yaml: algo\.qOld: /);
    expect(bad("diffusion-nft", { decayType: 3 })).toMatch(/^run\.yaml: algo\.decayType: /);
    expect(bad("flow-grpo", { clipRange: "small" })).toMatch(/^run\.yaml: algo\.clipRange: /);
    expect(bad("dspo", { gama: 1 })).toBe("run.yaml: algo.gama: unknown field (algorithm dspo)");
  });
});

type InputsOf<K extends BoundLoss["inputs"]> = Parameters<Extract<BoundLoss, { inputs: K }>["run"]>[0];

/** Call a resolved algorithm's loss, checking that it takes the expected input type. */
function runAs<K extends BoundLoss["inputs"]>(algo: ResolvedAlgorithm, kind: K, inputs: InputsOf<K>) {
  expect(algo.loss.inputs).toBe(kind);
  return (algo.loss.run as (i: InputsOf<K>) => ReturnType<BoundLoss["run"]>)(inputs);
}

describe("every loss traces inside jit(valueAndGrad), agrees with the eager call and leaks nothing", () => {
  const B = 4;
  const shape = [B, 4, 4];
  const next = rng(71);
  const vTheta = normal(next, 64);
  const vOld = add(vTheta, normal(next, 64, 0.1));
  const vRef = add(vTheta, normal(next, 64, 0.1));
  const v = normal(next, 64);
  const t = uniform(next, B, 0.1, 0.9);
  const pref = Float32Array.from([0.1, 0.5, 0.8, 1]);
  const weight = Float32Array.from([0.25, 0.25, 0.25, 0.25]);

  /** Build the inputs around the differentiated array x and call the registry's loss. */
  const calls: Record<string, { x: Float32Array; shape: number[]; call: (x: JaxArray) => LossResult<Record<string, JaxArray>> }> = (() => {
    const forward = (name: "naspo" | "diffusion-nft" | "uniworld-v2", over: Record<string, unknown> = {}) => ({
      x: vTheta,
      shape,
      call: (x: JaxArray) => {
        const inputs: ForwardInputs = { vTheta: x, vOld: arr(vOld, shape), vRef: arr(vRef, shape), v: arr(v, shape), t: arr(t), pref: arr(pref), weight: arr(weight) };
        return runAs(resolveAlgorithm(name, { beta: name === "naspo" ? 50 : 1, ...over }), "samples", inputs);
      },
    });
    const pairs = (name: "dspo" | "flow-dpo") => ({
      x: vTheta.slice(0, 32),
      shape: [2, 4, 4],
      call: (x: JaxArray) => {
        const inputs: PairInputs = {
          winner: { vTheta: x, vRef: arr(vRef.slice(0, 32), [2, 4, 4]), v: arr(v.slice(0, 32), [2, 4, 4]) },
          loser: { vTheta: arr(vTheta.slice(32), [2, 4, 4]), vRef: arr(vRef.slice(32), [2, 4, 4]), v: arr(v.slice(32), [2, 4, 4]) },
          t: arr(t.slice(0, 2)),
          weight: arr([0.5, 0.5]),
        };
        return runAs(resolveAlgorithm(name, { beta: 2 }), "pairs", inputs);
      },
    });
    return {
      naspo: forward("naspo"),
      "naspo (batch-z Δ̃, σ with gradient)": forward("naspo", { deltaNorm: "batch-z", deltaTau: 1.5, sigmaGrad: true }),
      "naspo (batch-std Δ̃)": forward("naspo", { deltaNorm: "batch-std" }),
      "naspo (σ fixed at ½)": forward("naspo", { sigma: "half" }),
      "diffusion-nft": forward("diffusion-nft"),
      "uniworld-v2": forward("uniworld-v2"),
      dspo: pairs("dspo"),
      "flow-dpo": pairs("flow-dpo"),
      "diffusion-kto": {
        x: vTheta,
        shape,
        call: (x: JaxArray) => {
          const inputs: LabelledInputs = { vTheta: x, vRef: arr(vRef, shape), v: arr(v, shape), t: arr(t), label: arr([1, 0, 1, 0]), weight: arr(weight) };
          return runAs(resolveAlgorithm("diffusion-kto", { beta: 20 }), "labelled", inputs);
        },
      },
      "flow-grpo": {
        x: Float32Array.from([0.1, -0.3, 0.05, 0.2]),
        shape: [4],
        call: (x: JaxArray) => {
          const inputs: SdeInputs = {
            logp: x,
            logpOld: arr([0, -0.3, 0.1, 0.5]),
            adv: arr([1, -2, 0.5, 3]),
            weight: arr(weight),
            kl: { meanTheta: arr(vTheta, shape), meanRef: arr(vRef, shape), std: arr([0.5, 0.5, 0.5, 0.5]) },
          };
          return runAs(resolveAlgorithm("flow-grpo", { clipRange: 0.2, klWeight: 0.1 }), "sde-steps", inputs);
        },
      },
    };
  })();

  it("covers every registered algorithm", () => {
    for (const name of algorithmNames()) expect(Object.keys(calls)).toContain(name);
  });

  for (const name of Object.keys(calls)) {
    it(name, async () => {
      const { x, shape: s, call } = calls[name]!;
      const live = liveArrayCount();
      const eager = call(arr(x, s));
      const eagerLoss = await scalar(eager.loss);
      for (const a of Object.values(eager.aux)) a.dispose();
      expect(liveArrayCount()).toBe(live); // every input consumed, every intermediate freed
      const step = jax.jit(
        jax.valueAndGrad(
          (p: JaxArray) => {
            const { loss, aux } = call(p);
            return [loss, aux] as [JaxArray, Record<string, JaxArray>];
          },
          { hasAux: true },
        ),
      );
      const input = arr(x, s);
      const [[loss, aux], grad] = step(input);
      expect(input.refCount).toBe(0); // consumed
      expect(Math.abs((await scalar(loss)) - eagerLoss)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(eagerLoss)));
      for (const a of Object.values(aux)) a.dispose();
      const g = await values(grad);
      expect(g.every(Number.isFinite)).toBe(true);
      expect(g.some((gi) => gi !== 0)).toBe(true);
      step.dispose();
      expect(liveArrayCount()).toBe(live);
      // (Eager `grad` is not leak-checked: jax-js 0.1.25 itself keeps one buffer per eager grad through
      // `nn.sigmoid` or a division by a traced value; under jit nothing is kept.)
      const eagerGrad = await values(
        jax.grad((p: JaxArray) => {
          const o = call(p);
          for (const a of Object.values(o.aux)) a.dispose();
          return o.loss;
        })(arr(x, s)),
      );
      expectClose(g, eagerGrad, 1e-6 * Math.max(...eagerGrad.map(Math.abs)));
    });
  }
});
