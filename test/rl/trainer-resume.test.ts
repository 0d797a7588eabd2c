/**
 * Kill and resume: a run SIGKILLed while writing a checkpoint and again at a random moment, then resumed,
 * ends with the same LoRA tensors as an uninterrupted run with the same seed, and sends no judge request
 * twice (the judge is a local OpenAI-compatible server that counts what it receives). Also with the
 * forward engine onnx (rollouts and no-gradient forwards on onnxruntime-node), where it loads.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fastestEngine, LORA_EMA_TENSOR, loadCheckpoint } from "../../src/model/index.js";
import { runPaths } from "../../src/rl/trainer/index.js";
import { startFakeServer, vllmBody, type FakeServer } from "../reward/fake-server.js";
import { makeData, makeInit } from "./trainer-fixtures.js";

let root: string;
let init: string;
let data: string;
let server: FakeServer;
const EPOCHS = "3";
const ortLoads = (await fastestEngine()) === "onnx";

/** A deterministic judge: the level distribution is a function of the request content. */
function reply(body: Record<string, unknown>): { body: unknown } {
  const h = createHash("sha256").update(JSON.stringify(body.messages)).digest();
  const top = (h[0] as number) % 5;
  return { body: vllmBody([[String(top), -0.2 - (h[1] as number) / 255], [String((top + 1) % 5), -1.5], [String((top + 4) % 5), -2.5]]) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "trainer-resume-"));
  init = await makeInit(join(root, "init"));
  data = await makeData(join(root, "data"));
  server = await startFakeServer(reply);
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

function child(out: string, env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", join(__dirname, "trainer-child.ts"), out, init, data, server.url, EPOCHS], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code, signal) => resolve({ code, signal, stderr }));
  });
}

/** Judgement requests since `from` (the start-up probe each process sends is not a judgement). */
const requestKeys = (from: number): string[] =>
  server.requests
    .slice(from)
    .map((b) => JSON.stringify(b))
    .filter((b) => !b.includes("Answer with a single digit from"))
    .map((b) => createHash("sha256").update(b).digest("hex"));

describe("SIGKILL and resume", () => {
  // flow-grpo: its trained SDE steps are a random subset per sample, drawn from the run's RNG.
  const cases = [{ algo: "naspo", engine: "jax" }, { algo: "flow-grpo", engine: "jax" }, ...(ortLoads ? [{ algo: "naspo", engine: "onnx" }] : [])];
  for (const { algo, engine } of cases) {
    it(`${algo} (${engine}): same LoRA and eval EMA as the uninterrupted run (max |diff| ≤ 1e-6), no judge request sent twice`, async () => {
      const env = { ALGO: algo, ENGINE: engine };
      const straight = join(root, `straight-${algo}-${engine}`);
      const from0 = server.requests.length;
      const r0 = await child(straight, env);
      expect(r0.code, r0.stderr).toBe(0);
      const straightRequests = requestKeys(from0);
      expect(new Set(straightRequests).size).toBe(straightRequests.length);

      const killed = join(root, `killed-${algo}-${engine}`);
      const from = server.requests.length;
      const k1 = await child(killed, { ...env, KILL_AT_COMMIT: "2" }); // during the second checkpoint write
      expect(k1.signal).toBe("SIGKILL");
      const k2 = await child(killed, { ...env, KILL_AFTER_MS: String(2500 + Math.floor(Math.random() * 2500)) }); // a random moment
      expect(k2.code === 0 || k2.signal === "SIGKILL", k2.stderr).toBe(true);
      for (let i = 0; i < 3; i++) {
        const r = await child(killed, env);
        expect(r.code, r.stderr).toBe(0);
        if (r.code === 0) break;
      }
      const keys = requestKeys(from);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBeGreaterThan(0);

      const a = await loadCheckpoint(runPaths.latest(straight));
      const b = await loadCheckpoint(runPaths.latest(killed));
      expect(a.loraWeights!.length).toBe(b.loraWeights!.length);
      let maxDiff = 0;
      a.loraWeights!.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - b.loraWeights![i]!))));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      expect(Array.from(a.extra.adam_m!)).toEqual(Array.from(b.extra.adam_m!));
      expect(Array.from(a.extra[LORA_EMA_TENSOR]!)).toEqual(Array.from(b.extra[LORA_EMA_TENSOR]!)); // what eval samples
    }, 180_000);
  }
});
