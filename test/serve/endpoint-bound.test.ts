import { afterAll, describe, expect, it } from "vitest";
import { OpenAIJudge, type JudgeAttempt } from "../../src/reward/openai-judge.js";
import type { Image } from "../../src/reward/types.js";
import { startFakeServer, vllmBody, type FakeServer } from "../reward/fake-server.js";

const servers: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const img = (v: number): Image => ({ kind: "rgb", data: new Float32Array(4 * 4 * 3).fill(v), width: 4, height: 4 });

describe("judge client: a bound per endpoint and an observer of every attempt", () => {
  it("keeps at most endpointConcurrency requests in flight to each server and reports each attempt with its URL", async () => {
    const ok = await startFakeServer(() => ({ body: vllmBody([["3", -0.1]]), delayMs: 40 }));
    const flaky = await startFakeServer((_, n) => (n % 2 === 0 ? { status: 503, delayMs: 40 } : { body: vllmBody([["2", -0.1]]), delayMs: 40 }));
    servers.push(ok, flaky);
    const attempts: JudgeAttempt[] = [];
    const judge = new OpenAIJudge({ urls: [ok.url, flaky.url], model: "m", concurrency: 100, endpointConcurrency: 2, backoffMs: 1, maxBackoffMs: 2, cacheFile: null, minImageSide: 0, onAttempt: (a) => attempts.push(a) });
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => judge.judge({ kind: "dp", reference: img(0.5), instruction: "x", generated: img(i / 20) })));
    expect(res.every((r) => r.error === undefined)).toBe(true);
    expect(ok.maxInFlight).toBe(2);
    expect(flaky.maxInFlight).toBe(2);
    expect(attempts.length).toBe(ok.requests.length + flaky.requests.length);
    expect(attempts.filter((a) => a.url === flaky.url && a.outcome === "retry").every((a) => a.error === `${flaky.url}: HTTP 503`)).toBe(true);
    expect(attempts.filter((a) => a.outcome === "retry").length).toBe(Math.floor(flaky.requests.length / 2));
    expect(attempts.filter((a) => a.outcome === "ok").length).toBe(20);
    expect(attempts.every((a) => a.ms >= 0)).toBe(true);
  });
});
