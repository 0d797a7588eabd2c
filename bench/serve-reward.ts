/**
 * `portraitrl serve-reward` against calling the judge directly. A local OpenAI-compatible judge (in a
 * worker thread, so it does not share the event loop) answers after a fixed delay with at most `capacity`
 * requests at a time. The same batches of (reference, generated) PNG pairs are scored twice, each time with
 * `capacity / batch` batches in flight (as many as the judge allows): directly through the judge client
 * (Promise.all over a batch, as a trainer calling the library would), and as Flow-Factory pointwise
 * requests (JSON, base64 PNG) to the service fronting the same judge. Prints JSON: requests per second and
 * p50/p99 latency of each, and the service's overhead (target ≤ 5% at 200 ms judge latency); CPU ms per
 * request covers this whole process (judge client, and for the service also its HTTP client and server).
 * Images are seeded (xorshift32, seed below). Run: npx tsx bench/serve-reward.ts [--n 60] [--delay 200]
 */
import os from "node:os";
import sharp from "sharp";
import { buildJudge, type Image } from "../src/reward/index.js";
import { ServiceMetrics } from "../src/serve/metrics.js";
import { RewardScorer } from "../src/serve/scorer.js";
import { RewardService } from "../src/serve/server.js";
import { arg, startFakeJudge } from "./fake-judge.js";

const SEED = 20261204;
const SIZE = 128;
const BATCH = 8;
const CAPACITY = 32;
const n = arg("n", 60);
const ROUNDS = 3;
const perRound = Math.ceil(n / ROUNDS);
const delayMs = arg("delay", 200);

async function png(seed: number): Promise<Uint8Array> {
  let x = seed >>> 0 || 1;
  const raw = Buffer.alloc(SIZE * SIZE * 3).map((_, i) => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), i % 7 === 0 ? x >>> 24 : 128)); // seeded, partly compressible
  const b = await sharp(raw, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

/** Runs `count` batches with `inFlight` at a time; returns the latency of each and the wall time. */
async function load(count: number, inFlight: number, one: (k: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const k = next++;
        const t = performance.now();
        await one(k);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

const summary = (r: { latencies: number[]; seconds: number }) => ({
  requestsPerSecond: +(r.latencies.length / r.seconds).toFixed(2),
  p50Ms: +quantile(r.latencies, 0.5).toFixed(1),
  p99Ms: +quantile(r.latencies, 0.99).toFixed(1),
});

const { worker, port } = await startFakeJudge(CAPACITY, delayMs);
const url = `http://127.0.0.1:${port}/v1`;
const inFlight = CAPACITY / BATCH;
const reference = await png(SEED);
const generated = await Promise.all(Array.from({ length: (ROUNDS * 2 * perRound + 2 * inFlight) * BATCH }, (_, i) => png(SEED + 1 + i)));
const batchOf = (k: number): Uint8Array[] => generated.slice(k * BATCH, (k + 1) * BATCH);
const instruction = "Raise her left arm.";

const judgeCfg = { urls: [url], model: "bench", cacheFile: null, minImageSide: 0, concurrency: CAPACITY, endpointConcurrency: CAPACITY };
const direct = await buildJudge(judgeCfg, false, "bench");
const asImage = (bytes: Uint8Array): Image => ({ kind: "png", bytes });
const directBatch = async (k: number): Promise<void> => {
  const res = await Promise.all(batchOf(k).map((g) => direct.judge.judge({ kind: "dp", reference: asImage(reference), instruction, generated: asImage(g) })));
  if (res.some((r) => r.error)) throw new Error(res.find((r) => r.error)?.error);
};

const served = await buildJudge(judgeCfg, false, "bench");
const service = new RewardService(
  { host: "127.0.0.1", port: 0, maxBodyBytes: 64 << 20, token: null, editR1Modes: ["logits_non_cot"], describe: {} },
  new RewardScorer(served.judge, { returns: "dp", wDp: 0.5 }),
  new ServiceMetrics(),
  (line) => process.stderr.write(`${line}\n`),
);
const serviceUrl = await service.listen();
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const refB64 = b64(reference);
/** Request bodies are built before the clock starts: encoding them is the trainer's work, not the service's. */
const bodies = Array.from({ length: ROUNDS * 2 * perRound + 2 * inFlight }, (_, k) => {
  const batch = batchOf(k);
  return JSON.stringify({ prompt: batch.map(() => instruction), image: batch.map(b64), condition_images: batch.map(() => [refB64]) });
});
const serviceBatch = async (k: number): Promise<void> => {
  const body = bodies[k] as string;
  const res = await fetch(`${serviceUrl}/compute`, { method: "POST", body, headers: { "content-type": "application/json" } });
  const out = (await res.json()) as { rewards?: number[]; error?: string };
  if (res.status !== 200 || !out.rewards) throw new Error(`service: ${res.status} ${out.error}`);
};

// warm-up (connections, sharp, JIT); then ROUNDS alternating rounds of each, on fresh images (no cache is in
// play either way), so that load from elsewhere on the machine falls on both alike
await load(inFlight, inFlight, (k) => directBatch(ROUNDS * 2 * perRound + k));
await load(inFlight, inFlight, (k) => serviceBatch(ROUNDS * 2 * perRound + inFlight + k));
const runs = { direct: { latencies: [] as number[], seconds: 0, cpuMs: 0 }, service: { latencies: [] as number[], seconds: 0, cpuMs: 0 } };
for (let round = 0; round < ROUNDS; round++) {
  for (const which of ["direct", "service"] as const) {
    const offset = (2 * round + (which === "service" ? 1 : 0)) * perRound;
    const cpu0 = process.cpuUsage();
    const r = await load(perRound, inFlight, (k) => (which === "direct" ? directBatch : serviceBatch)(offset + k));
    const cpu = process.cpuUsage(cpu0);
    runs[which].latencies.push(...r.latencies);
    runs[which].seconds += r.seconds;
    runs[which].cpuMs += (cpu.user + cpu.system) / 1000;
  }
}
await service.close();
await direct.judge.close();
await worker.terminate();

const ds = summary(runs.direct);
const ss = summary(runs.service);
console.log(
  JSON.stringify(
    {
      bench: "serve-reward",
      node: process.version,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((l) => +l.toFixed(2)),
      seed: SEED,
      setup: { judgeDelayMs: delayMs, judgeCapacity: CAPACITY, imageSize: SIZE, itemsPerRequest: BATCH, requestsInFlight: inFlight, requests: ROUNDS * perRound, rounds: ROUNDS, protocol: "flow-factory pointwise, returns dp" },
      direct: { ...ds, cpuMsPerRequest: +(runs.direct.cpuMs / (ROUNDS * perRound)).toFixed(1) },
      service: { ...ss, cpuMsPerRequest: +(runs.service.cpuMs / (ROUNDS * perRound)).toFixed(1) },
      overhead: {
        p50: +(ss.p50Ms / ds.p50Ms - 1).toFixed(4),
        p99: +(ss.p99Ms / ds.p99Ms - 1).toFixed(4),
        throughput: +(1 - ss.requestsPerSecond / ds.requestsPerSecond).toFixed(4),
        addedCpuMsPerRequest: +((runs.service.cpuMs - runs.direct.cpuMs) / (ROUNDS * perRound)).toFixed(1),
        target: 0.05,
      },
    },
    null,
    2,
  ),
);
