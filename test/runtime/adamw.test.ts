import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { adamwStepScalars, adamwUpdate, type AdamWHyper } from "../../src/runtime/adamw.js";
import { initTrainState, makeTrainStep } from "../../src/runtime/train-step.js";

const HP: AdamWHyper = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.5, clipNorm: 1 };

/** torch.optim.AdamW + clip_grad_norm_, in float64, written out by hand. */
function reference(p: number[], g: number[], m: number[], v: number[], t: number, hp: AdamWHyper) {
  const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
  const c = Math.min(1, hp.clipNorm / (norm + 1e-6));
  const gc = g.map((x) => x * c);
  const m2 = m.map((x, i) => hp.beta1 * x + (1 - hp.beta1) * gc[i]!);
  const v2 = v.map((x, i) => hp.beta2 * x + (1 - hp.beta2) * gc[i]! ** 2);
  const bc1 = 1 - hp.beta1 ** t;
  const bc2 = 1 - hp.beta2 ** t;
  const p2 = p.map((x, i) => x * (1 - hp.lr * hp.weightDecay) - (hp.lr / bc1) * (m2[i]! / (Math.sqrt(v2[i]!) / Math.sqrt(bc2) + hp.eps)));
  return { p2, m2, v2, norm };
}

describe("AdamW on flat vectors", () => {
  beforeAll(initJax);

  it("matches the hand-written torch update, with and without clipping", async () => {
    const upd = jax.jit((p: JaxArray, g: JaxArray, m: JaxArray, v: JaxArray, s: JaxArray) => adamwUpdate(p, g, m, v, s, HP));
    for (const [g, t] of [
      [[0.3, -0.4, 0.1], 3], // ‖g‖ < 1: no clipping
      [[3, -4, 12], 1], // ‖g‖ = 13: clipped to 1
    ] as [number[], number][]) {
      const p = [1, -2, 0.5];
      const m = [0.01, 0.02, -0.03];
      const v = [0.001, 0.002, 0.003];
      const [p2, m2, v2, n] = upd(np.array(p), np.array(g), np.array(m), np.array(v), np.array(adamwStepScalars(HP, t))) as JaxArray[];
      const ref = reference(p, g, m, v, t, HP);
      const close = async (a: JaxArray, b: number[]): Promise<void> => {
        const d = await a.data();
        b.forEach((x, i) => expect(d[i]).toBeCloseTo(x, 5));
      };
      await close(p2!, ref.p2);
      await close(m2!, ref.m2);
      await close(v2!, ref.v2);
      await close(n!, [ref.norm]);
    }
  });

  it("makeTrainStep minimises a quadratic with extra (frozen) arguments and reports loss and grad norm", async () => {
    // L(x; c) = Σ (x − c)², gradient 2(x − c)
    const loss = (x: JaxArray, c: JaxArray): JaxArray => np.square(x.sub(c)).sum();
    const trainer = makeTrainStep(loss, { ...HP, weightDecay: 0, clipNorm: Infinity });
    const state = initTrainState(Float32Array.from([0, 0]));
    const c = np.array([3, -1]);
    const first = await trainer.step(state, [c.ref]);
    expect(first.loss).toBeCloseTo(10, 5);
    expect(first.gradNorm).toBeCloseTo(Math.sqrt(36 + 4), 4);
    // First Adam step moves each coordinate by lr towards its target.
    const p1 = await state.params.ref.data();
    expect(p1[0]).toBeCloseTo(0.1, 5);
    expect(p1[1]).toBeCloseTo(-0.1, 5);
    let last = first;
    for (let i = 0; i < 300; i++) last = await trainer.step(state, [c.ref], i < 200 ? 0.1 : 0.01);
    expect(last.loss).toBeLessThan(1e-3);
    expect(state.t).toBe(301);
    c.dispose();
    trainer.dispose();
  });
});
