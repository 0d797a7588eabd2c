/**
 * The registry (names, needs, validated configs, one-line errors) and that every registered loss traces
 * inside `jit(valueAndGrad(…))` to the same value and gradient as eagerly, consuming its inputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, type JaxArray } from "../../src/runtime/jax.js";
import { UserError } from "../../src/runtime/errors.js";
import { liveArrayCount, trackLiveArrays } from "../../src/runtime/live.js";
import { ALGORITHMS, ALGORITHM_NAMES, getAlgorithm, parseAlgorithmConfig, resolveAlgorithm, type AlgorithmName, type BoundLoss, type ResolvedAlgorithm } from "../../src/rl/algorithms.js";
import type { ForwardInputs, LabelledInputs, LossResult, PairInputs, SdeInputs } from "../../src/rl/inputs.js";
import { add, arr, expectClose, normal, rng, scalar, uniform, values } from "./helpers.js";

beforeAll(async () => {
  await initJax();
  await trackLiveArrays();
});

describe("registry", () => {
  it("lists every algorithm under its name, with kind, inputs and defaults", () => {
    expect(Object.keys(ALGORITHMS).sort()).toEqual([...ALGORITHM_NAMES].sort());
    for (const name of ALGORITHM_NAMES) {
      const a = getAlgorithm(name);
      expect(a.name).toBe(name);
      expect(a.defaults).toEqual(a.schema.parse({}));
    }
    expect(getAlgorithm("flow-grpo").kind).toBe("sde-steps");
    expect(ALGORITHM_NAMES.filter((n) => getAlgorithm(n).kind === "forward-process").length).toBe(6);
    expect(getAlgorithm("naspo").rewardRecipe).toBe("standardized");
    expect(getAlgorithm("diffusion-nft").defaults).toMatchObject({ beta: 1, klWeight: 1e-4, advClipMax: 5, space: "x0", decayType: 1 });
    expect(getAlgorithm("naspo").defaults).toMatchObject({ sigmaGrad: false, qOld: "batch-old-deviation", reference: "cold-start", betaSchedule: "constant", space: "velocity" });
    expect(getAlgorithm("flow-grpo").defaults).toMatchObject({ clipRange: 1e-4, advClipMax: 5, klWeight: 0 });
  });

  it("says which extra forwards each loss needs, from its config", () => {
    const naspo = getAlgorithm("naspo");
    expect(naspo.needs(naspo.defaults)).toEqual({ old: true, ref: true });
    expect(naspo.needs({ ...naspo.defaults, reference: "old-policy" })).toEqual({ old: true, ref: false });
    const nft = getAlgorithm("diffusion-nft");
    expect(nft.needs(nft.defaults)).toEqual({ old: true, ref: true });
    expect(nft.needs({ ...nft.defaults, klWeight: 0 })).toEqual({ old: true, ref: false });
    const grpo = getAlgorithm("flow-grpo");
    expect(grpo.needs(grpo.defaults)).toEqual({ old: false, ref: false });
    expect(getAlgorithm("flow-dpo").needs(getAlgorithm("flow-dpo").defaults)).toEqual({ old: false, ref: true });
  });

  it("resolves a name and raw config to the validated config, the forwards needed and a bound loss", () => {
    const r = resolveAlgorithm("naspo", { reference: "old-policy" });
    expect(r.needs).toEqual({ old: true, ref: false });
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
      getAlgorithm("ppo");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toBe('unknown algorithm "ppo"; valid: naspo, diffusion-nft, flow-grpo, uniworld-v2, dspo, diffusion-kto, flow-dpo');
    expect(() => parseAlgorithmConfig("grpo", {})).toThrow(UserError);
  });

  it("validates configs: defaults fill in, bad values and unknown keys are one-line UserErrors", () => {
    expect(parseAlgorithmConfig("naspo", { beta: 10, space: "x0" })).toMatchObject({ beta: 10, space: "x0", sigmaGrad: false });
    expect(parseAlgorithmConfig("flow-dpo", undefined)).toEqual({ beta: 100, betaSchedule: "constant", refUpdateEvery: 0 });
    const bad = (name: AlgorithmName, raw: unknown) => {
      try {
        parseAlgorithmConfig(name, raw, "run.yaml: algo");
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
    expect(bad("dspo", { gama: 1 })).toMatch(/^run\.yaml: algo: .*gama/);
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
  const calls: Record<AlgorithmName, { x: Float32Array; shape: number[]; call: (x: JaxArray) => LossResult<Record<string, JaxArray>> }> = (() => {
    const forward = (name: "naspo" | "diffusion-nft" | "uniworld-v2") => ({
      x: vTheta,
      shape,
      call: (x: JaxArray) => {
        const inputs: ForwardInputs = { vTheta: x, vOld: arr(vOld, shape), vRef: arr(vRef, shape), v: arr(v, shape), t: arr(t), pref: arr(pref), weight: arr(weight) };
        return runAs(resolveAlgorithm(name, { beta: name === "naspo" ? 50 : 1 }), "samples", inputs);
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

  for (const name of ALGORITHM_NAMES) {
    it(name, async () => {
      const { x, shape: s, call } = calls[name];
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
