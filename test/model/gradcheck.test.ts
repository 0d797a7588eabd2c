/**
 * Finite-difference checks of the flow-matching loss gradient (tiny preset), w.r.t. base and LoRA.
 * float32 only, so each check is a directional derivative over one tensor (or the whole vector):
 * it sums many coordinates, so its magnitude is far above the loss's float32 rounding.
 * Central differences with ε = 4e-2 along a unit direction u (the tensor's gradient direction, then
 * a random direction over the whole vector): truncation error O(ε²·L''') measured ≲ 1e-3 relative;
 * rounding error ≈ δL/(2ε) with δL ≈ 4e-6 (float32 loss ≈ 1.5, a mean over 1536 values after a few
 * hundred ops), i.e. ≈ 5e-5 absolute (ε = 1e-2 made that term 4× larger). Hence
 * |fd − g·u| ≤ 1e-2·|g·u| + 5e-5. Directional derivatives here are 1e-4…0.5; a wrong gradient
 * (wrong transpose, missing term) misses by O(1) relative.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { Rng } from "../../src/runtime/rng.js";
import type { EditModel } from "../../src/model/index.js";
import { batchArrays, flowMatchingLoss, makeBatch, tinyModel, type HostBatch } from "./fixtures.js";

const EPS = 4e-2;

function direction(size: number, offset: number, length: number, rng: Rng, grad?: Float32Array): Float32Array {
  const u = new Float32Array(size);
  let norm = 0;
  for (let i = offset; i < offset + length; i++) {
    u[i] = grad ? grad[i]! : rng.normal();
    norm += u[i]! * u[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = offset; i < offset + length; i++) u[i] = u[i]! / norm;
  return u;
}

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const axpy = (x: Float32Array, a: number, u: Float32Array): Float32Array => x.map((v, i) => v + a * u[i]!);

async function check(lossAt: (v: Float32Array) => Promise<number>, theta: Float32Array, grad: Float32Array, u: Float32Array): Promise<void> {
  const analytic = dot(grad, u);
  const fd = ((await lossAt(axpy(theta, EPS, u))) - (await lossAt(axpy(theta, -EPS, u)))) / (2 * EPS);
  expect(Math.abs(fd - analytic)).toBeLessThanOrEqual(1e-2 * Math.abs(analytic) + 5e-5);
}

describe("flow-matching loss gradients match finite differences (tiny)", () => {
  let m: EditModel;
  let batch: HostBatch;
  beforeAll(async () => {
    await initJax();
  });

  it("w.r.t. base parameters", async () => {
    m = tinyModel();
    batch = makeBatch(m, 2, 7);
    const theta = m.initBase(3);
    const loss = (p: JaxArray, ...a: JaxArray[]): JaxArray => flowMatchingLoss(m, p, null, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    const lossJ = jax.jit(loss);
    const gradJ = jax.jit(jax.grad(loss));
    const lossAt = async (v: Float32Array): Promise<number> => Number((await lossJ(np.array(v), ...batchArrays(m, batch)).data())[0]);
    const grad = (await gradJ(np.array(theta), ...batchArrays(m, batch)).data()) as Float32Array;
    const names = [
      "x_embedder.weight",
      "context_embedder.weight",
      "time_text_embed.timestep_embedder.linear_1.weight",
      "time_text_embed.guidance_embedder.linear_2.bias",
      "time_text_embed.text_embedder.linear_1.weight",
      "transformer_blocks.0.norm1.linear.weight",
      "transformer_blocks.0.attn.to_q.weight",
      "transformer_blocks.0.attn.norm_added_k.weight",
      "transformer_blocks.0.attn.to_add_out.weight",
      "transformer_blocks.0.ff_context.net.0.proj.weight",
      "single_transformer_blocks.0.attn.to_k.weight",
      "single_transformer_blocks.0.proj_mlp.weight",
      "single_transformer_blocks.0.proj_out.weight",
      "norm_out.linear.weight",
      "proj_out.bias",
      "text_encoder.token_embedding.weight",
      "text_encoder.slot_queries.weight",
      "text_encoder.pooled_proj.weight",
    ];
    const rng = new Rng(11);
    for (const name of names) {
      const e = m.baseSpec.find((s) => s.name === name)!;
      expect(e, name).toBeDefined();
      const g = grad.subarray(e.offset, e.offset + e.size);
      expect(g.some((x) => x !== 0), `${name} gets a gradient`).toBe(true);
      await check(lossAt, theta, grad, direction(theta.length, e.offset, e.size, rng, grad));
    }
    await check(lossAt, theta, grad, direction(theta.length, 0, theta.length, rng));
  });

  it("w.r.t. LoRA parameters (base frozen)", async () => {
    m = tinyModel({ rank: 2, alpha: 4, targets: "flow-grpo" });
    batch = makeBatch(m, 2, 8);
    const base = m.initBase(3);
    const rng = new Rng(5);
    // Non-zero B so that A also receives a gradient.
    const theta = m.initLora(4).map((x, i) => (m.loraSpec.find((e) => i >= e.offset && i < e.offset + e.size)!.name.endsWith("lora_B.weight") ? rng.normal() * 0.3 : x));
    const loss = (l: JaxArray, b: JaxArray, ...a: JaxArray[]): JaxArray => flowMatchingLoss(m, b, l, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    const lossJ = jax.jit(loss);
    const gradJ = jax.jit(jax.grad(loss));
    const lossAt = async (v: Float32Array): Promise<number> => Number((await lossJ(np.array(v), np.array(base), ...batchArrays(m, batch)).data())[0]);
    const grad = (await gradJ(np.array(theta), np.array(base), ...batchArrays(m, batch)).data()) as Float32Array;
    for (const name of [
      "transformer_blocks.0.attn.to_q.lora_A.weight",
      "transformer_blocks.0.attn.add_v_proj.lora_B.weight",
      "transformer_blocks.0.attn.to_out.0.lora_A.weight",
      "transformer_blocks.0.ff.net.2.lora_B.weight",
      "single_transformer_blocks.0.attn.to_k.lora_A.weight",
      "single_transformer_blocks.0.proj_mlp.lora_B.weight",
    ]) {
      const e = m.loraSpec.find((s) => s.name === name)!;
      expect(e, name).toBeDefined();
      await check(lossAt, theta, grad, direction(theta.length, e.offset, e.size, rng, grad));
    }
    await check(lossAt, theta, grad, direction(theta.length, 0, theta.length, rng));
  });
});
