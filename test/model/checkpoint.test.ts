import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initJax, jax, np, type JaxArray } from "../../src/runtime/jax.js";
import { UserError } from "../../src/runtime/errors.js";
import { loadCheckpoint, presetConfig, saveCheckpoint } from "../../src/model/index.js";
import { batchArrays, makeBatch, tinyModel } from "./fixtures.js";

const LORA = { rank: 2, alpha: 4, targets: "flow-grpo" as const };

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  expect((e as Error).message).toMatch(re);
}

describe("checkpoints", () => {
  beforeAll(initJax);
  const m = tinyModel(LORA);
  const base = m.initBase(1);
  const lora = m.initLora(2).map((x, i) => x + Math.sin(i)); // non-zero B
  const extra = { "adam.m": Float32Array.from({ length: 10 }, (_, i) => i / 3), ema: base.map((x) => x * 0.5) };
  const state = { step: 17, rng: { s: [1, 2, 3, 4], spare: null } };

  it("save → load gives bit-identical tensors and outputs", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "prl-ckpt-")), "ck");
    await saveCheckpoint(dir, { config: m.config, lora: LORA, base, loraWeights: lora, extra, state });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "extra.safetensors", "lora.safetensors", "model.safetensors", "state.json"]);
    const header = readFileSync(join(dir, "lora.safetensors")).toString("utf8", 8, 200);
    expect(header).toContain("transformer_blocks.0.attn.to_q.lora_A.weight");
    const ck = await loadCheckpoint(dir, { expectConfig: presetConfig("tiny") });
    expect(ck.base).toEqual(base);
    expect(ck.loraWeights).toEqual(lora);
    expect(ck.extra).toEqual(extra);
    expect(ck.state).toEqual(state);
    expect(ck.lora).toEqual(LORA);
    const f = jax.jit((b: JaxArray, l: JaxArray, x0: JaxArray, x1: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => {
      x1.dispose();
      return m.velocity(b, l, x0, t, ref, text);
    });
    const batch = makeBatch(m, 2, 3);
    const v1 = await f(np.array(base), np.array(lora), ...batchArrays(m, batch)).data();
    const v2 = await f(np.array(ck.base), np.array(ck.loraWeights!), ...batchArrays(m, batch)).data();
    expect(Buffer.from(v2.buffer).equals(Buffer.from(v1.buffer))).toBe(true);
  });

  it("refuses missing, truncated, corrupted and other-preset checkpoints", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-ckpt-"));
    await rejects(loadCheckpoint(join(root, "nope")), /does not exist/);
    const dir = join(root, "ck");
    await saveCheckpoint(dir, { config: m.config, base });
    await rejects(loadCheckpoint(dir, { expectConfig: presetConfig("small") }), /is for preset tiny, expected small/);
    await rejects(loadCheckpoint(dir, { expectConfig: { ...presetConfig("tiny"), hidden: 128, heads: 4 } }), /field hidden is 64, expected 128/);
    const file = join(dir, "model.safetensors");
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(file, bytes);
    await rejects(loadCheckpoint(dir), /model\.safetensors does not match its SHA-256/);
    truncateSync(file, 1000);
    await rejects(loadCheckpoint(dir), /model\.safetensors has 1000 bytes, config\.json records \d+ \(truncated/);
    writeFileSync(join(dir, "config.json"), "{");
    await rejects(loadCheckpoint(dir), /config\.json missing or unreadable/);
  });

  it("a failed save leaves the existing checkpoint untouched", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "prl-ckpt-")), "ck");
    await saveCheckpoint(dir, { config: m.config, base, state: { v: 1 } });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(saveCheckpoint(dir, { config: m.config, base: base.map((x) => x + 1), state: circular })).rejects.toThrow();
    const ck = await loadCheckpoint(dir);
    expect(ck.base).toEqual(base);
    expect(ck.state).toEqual({ v: 1 });
    expect(readdirSync(join(dir, "..")).filter((n) => n !== "ck")).toEqual([]); // no temp folders left
  });
});
