/**
 * Judge-client throughput against a local OpenAI-compatible server that answers after a fixed delay and
 * serves at most `capacity` requests at a time (the rest queue), so its capacity is capacity/delay req/s.
 * The server runs in a worker thread so it does not share the client's event loop.
 * Prints JSON: achieved req/s as a fraction of capacity per setting (the client should not be the
 * bottleneck: aim ≥ 0.95), and CPU ms per request of this process (client and server thread together;
 * less sensitive to other load on the machine than the rates), and the server's utilisation: the
 * time-averaged share of its slots that were busy. On a loaded machine the server's own timers run
 * late, which lowers the rate without the client being at fault; utilisation ≈ 1 means the client kept
 * the server saturated.  Run: npx tsx bench/judge.ts [--n 400] [--min-side 56 (the judge's minImageSide)]
 */
import os from "node:os";
import { OpenAIJudge } from "../src/reward/openai-judge.js";
import type { Image } from "../src/reward/types.js";
import { arg, startFakeJudge } from "./fake-judge.js";

function image(seed: number, size = 32): Image {
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + seed * 104729) % 251) / 250;
  return { kind: "rgb", data, width: size, height: size };
}

async function run(capacity: number, delayMs: number, concurrency: number, n: number): Promise<Record<string, number>> {
  const { worker, port } = await startFakeJudge(capacity, delayMs);
  const judge = new OpenAIJudge({ urls: [`http://127.0.0.1:${port}/v1`], model: "bench", concurrency, cacheFile: null, minImageSide: arg("min-side", 56) });
  const reference = image(0);
  const warm = await Promise.all(Array.from({ length: concurrency }, (_, i) => judge.judge({ kind: "pf", reference, instruction: "Raise the left arm.", generated: image(1e6 + i) })));
  if (warm.some((w) => w.error)) throw new Error(warm.find((w) => w.error)?.error);
  worker.postMessage("reset");
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await Promise.all(Array.from({ length: n }, (_, i) => judge.judge({ kind: "pf", reference, instruction: "Raise the left arm.", generated: image(i + 1) })));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  worker.postMessage("stats");
  const { utilisation } = await new Promise<{ utilisation: number }>((r) => worker.once("message", r));
  await judge.close();
  await worker.terminate();
  const failed = out.filter((r) => r.error).length;
  const capacityRps = (capacity * 1000) / delayMs;
  const rps = n / seconds;
  return { capacity, delayMs, concurrency, n, failed, capacityRps, rps: +rps.toFixed(1), fractionOfCapacity: +(rps / capacityRps).toFixed(3), cpuMsPerRequest: +((cpu.user + cpu.system) / 1000 / n).toFixed(3), serverUtilisation: +utilisation.toFixed(3) };
}

const n = arg("n", 400);
/** [capacity, delay ms, client concurrency]: 40 req/s (about a 72B judge on a few GPUs), 160 req/s, and a near-instant server (the client's own ceiling). */
const settings: [number, number, number][] = [
  [8, 200, 16],
  [16, 100, 32],
  [64, 1, 64],
];
const results = [];
for (const [capacity, delayMs, concurrency] of settings) results.push(await run(capacity, delayMs, concurrency, delayMs === 1 ? 2 * n : n));
console.log(
  JSON.stringify(
    { bench: "judge-client", node: process.version, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => +l.toFixed(2)), imageSize: 32, results },
    null,
    2,
  ),
);
