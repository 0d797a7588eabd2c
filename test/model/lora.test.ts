import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";
import { mergeLora, loraModules, presetConfig } from "../../src/model/index.js";
import { batchArrays, makeBatch, tinyModel } from "./fixtures.js";

const LORA = { rank: 2, alpha: 4, targets: "diffusers-default" as const };

function velocityFn(m: ReturnType<typeof tinyModel>, withLora: boolean) {
  return jax.jit((base: JaxArray, lora: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => {
    x1.dispose();
    if (!withLora) lora.dispose();
    return m.velocity(base, withLora ? lora : null, x0, t, ref, text);
  });
}

describe("LoRA", () => {
  beforeAll(initJax);

  it("with B = 0 (fresh adapter) gives exactly the base output", async () => {
    const m = tinyModel(LORA);
    const base = m.initBase(1);
    const lora = m.initLora(2);
    expect(lora.some((x) => x !== 0)).toBe(true); // A is random
    const b = makeBatch(m, 3, 4);
    const withL = await velocityFn(m, true)(np.array(base), np.array(lora), ...batchArrays(m, b)).data();
    const without = await velocityFn(m, false)(np.array(base), np.array(lora), ...batchArrays(m, b)).data();
    expect(Array.from(withL)).toEqual(Array.from(without));
  });

  it("merged weights reproduce the adapter's output; only targeted weights change", async () => {
    const m = tinyModel(LORA);
    const base = m.initBase(1);
    const rng = new Rng(9);
    const lora = rng.normalArray(m.loraSize, 0.2);
    const merged = mergeLora(base, m.baseSpec, lora, m.loraSpec, LORA);
    // Only targeted weights change.
    const targeted = new Set(loraModules(m.config, LORA).map((x) => `${x.name}.weight`));
    for (const e of m.baseSpec) {
      const same = base.subarray(e.offset, e.offset + e.size).every((v, i) => v === merged[e.offset + i]);
      expect(same, e.name).toBe(!targeted.has(e.name));
    }
    const b = makeBatch(m, 2, 5);
    const viaAdapter = await velocityFn(m, true)(np.array(base), np.array(lora), ...batchArrays(m, b)).data();
    const viaMerged = await velocityFn(m, false)(np.array(merged), np.array(lora), ...batchArrays(m, b)).data();
    const scale = Math.max(...Array.from(viaAdapter, Math.abs));
    for (let i = 0; i < viaAdapter.length; i++) expect(Math.abs(viaAdapter[i]! - viaMerged[i]!)).toBeLessThan(1e-4 * scale);
  });

  it("targets match by suffix as PEFT does", () => {
    const c = presetConfig("small");
    const names = (t: "diffusers-default" | "attention-only" | "flow-grpo"): string[] => loraModules(c, { rank: 4, alpha: 4, targets: t }).map((x) => x.name);
    const att = names("attention-only");
    expect(att).toContain("single_transformer_blocks.2.attn.to_q"); // suffix hits single blocks
    expect(att).toContain("transformer_blocks.0.attn.to_add_out");
    expect(att.length).toBe(8 * 1 + 3 * 3);
    const def = names("diffusers-default");
    expect(def).toContain("transformer_blocks.0.ff_context.net.2");
    expect(def.some((n) => n.endsWith("proj_mlp") || n.endsWith("proj_out"))).toBe(false);
    expect(names("flow-grpo").filter((n) => n.endsWith("proj_mlp")).length).toBe(3);
  });
});
