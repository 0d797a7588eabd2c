import { beforeAll, describe, expect, it } from "vitest";
import { initJax, np, type JaxArray } from "../../src/runtime/jax.js";
import { initTrainState, makeTrainStep } from "../../src/runtime/train-step.js";
import { liveArrayCount, trackLiveArrays } from "../../src/runtime/live.js";
import { batchArrays, flowMatchingLoss, makeBatch, tinyModel } from "./fixtures.js";

describe("training the tiny model", () => {
  beforeAll(async () => {
    await initJax();
    await trackLiveArrays();
  });

  it("30 AdamW steps on a fixed batch reduce the loss; live arrays are constant from step 5 to 50", async () => {
    const m = tinyModel();
    const batch = makeBatch(m, 8, 1);
    const loss = (p: JaxArray, ...a: JaxArray[]): JaxArray => flowMatchingLoss(m, p, null, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    const trainer = makeTrainStep(loss, { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1 });
    const state = initTrainState(m.initBase(0));
    const losses: number[] = [];
    const live: Record<number, number> = {};
    for (let step = 1; step <= 50; step++) {
      const r = await trainer.step(state, batchArrays(m, batch));
      expect(Number.isFinite(r.gradNorm) && r.gradNorm > 0).toBe(true);
      losses.push(r.loss);
      live[step] = liveArrayCount();
    }
    expect(state.t).toBe(50);
    expect(losses[29]!).toBeLessThan(0.6 * losses[0]!);
    expect(live[50]).toBe(live[5]);
    trainer.dispose();
    for (const a of [state.params, state.m, state.v]) a.dispose();
  });

  it("LoRA-only training: the frozen base is passed as an extra argument and stays unchanged", async () => {
    const m = tinyModel({ rank: 4, alpha: 8, targets: "flow-grpo" });
    const batch = makeBatch(m, 8, 2);
    const baseHost = m.initBase(0);
    const base = np.array(baseHost);
    const loss = (l: JaxArray, b: JaxArray, ...a: JaxArray[]): JaxArray => flowMatchingLoss(m, b, l, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    const trainer = makeTrainStep(loss as (p: JaxArray, ...a: JaxArray[]) => JaxArray, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 1 });
    const state = initTrainState(m.initLora(1));
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) losses.push((await trainer.step(state, [base.ref, ...batchArrays(m, batch)])).loss);
    expect(losses[14]!).toBeLessThan(0.9 * losses[0]!);
    expect(Array.from(await base.data())).toEqual(Array.from(baseHost));
    const lora = (await state.params.data()) as Float32Array;
    const bEntry = m.loraSpec.find((e) => e.name.endsWith("lora_B.weight"))!;
    expect(lora.subarray(bEntry.offset, bEntry.offset + bEntry.size).some((x) => x !== 0)).toBe(true); // B moved off its zero init
    trainer.dispose();
    state.m.dispose();
    state.v.dispose();
  });
});
