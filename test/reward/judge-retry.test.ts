/**
 * The judge at start-up and mid-run against flaky servers on 127.0.0.1 (issue 14, item 2): the probe
 * retries like any request (one 503 or 429 no longer aborts a run; only a server that stays down is
 * DOWN); a truncated body is retried like a 5xx; a top logprob above 0 is malformed, never a score.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OpenAIJudge } from "../../src/reward/openai-judge.js";
import type { Image, JudgeRequest } from "../../src/reward/types.js";
import { startFakeServer, vllmBody, type FakeServer, type Handler } from "./fake-server.js";

const img = (v: number): Image => ({ kind: "rgb", data: new Float32Array(4 * 4 * 3).fill(v), width: 4, height: 4 });
const req: JudgeRequest = { kind: "dp", reference: img(0.9), instruction: "Turn her head.", generated: img(0.3) };

const servers: FakeServer[] = [];
async function serve(h: Handler): Promise<FakeServer> {
  const s = await startFakeServer(h);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const judge = (url: string) => new OpenAIJudge({ urls: [url], model: "qwen-vl", backoffMs: 5, maxBackoffMs: 20, timeoutMs: 5000, maxAttempts: 4 });
const GOOD = vllmBody([["2", -0.1], ["3", -2.4]]);

describe("judge start-up probe", () => {
  it("a server that answers 503 to its first request only is up", async () => {
    const s = await serve((_, n) => (n === 1 ? { status: 503, body: { error: "loading" } } : { body: GOOD }));
    const lines = await judge(s.url).probe();
    expect(lines).toEqual([`judge ${s.url}: logprobs OK (2 candidates, mass on levels 1.00)`]);
    expect(s.requests).toHaveLength(2);
  });

  it("a 429 with Retry-After is waited out, then the server is up", async () => {
    const s = await serve((_, n) => (n === 1 ? { status: 429, headers: { "retry-after-ms": "30" }, body: {} } : { body: GOOD }));
    expect((await judge(s.url).probe())[0]).toMatch(/logprobs OK/);
  });

  it("a server that stays down is DOWN after the tries, with one line", async () => {
    const s = await serve(() => ({ status: 503, body: {} }));
    await expect(judge(s.url).probe()).rejects.toThrow(`no judge server reachable: ${s.url}: DOWN (HTTP 503, 4 tries)`);
    expect(s.requests).toHaveLength(4);
  });
});

describe("judge replies mid-run", () => {
  it("a truncated body is retried like a 5xx and the retry's answer is the score", async () => {
    const s = await serve((_, n) => (n === 1 ? { raw: '{"choices": [ {"logprobs": ' } : { body: GOOD }));
    const res = await judge(s.url).judge(req);
    expect(res.error).toBeUndefined();
    const p2 = Math.exp(-0.1);
    const p3 = Math.exp(-2.4);
    expect(res.logprobs[2]).toBeCloseTo(Math.log(p2 / (p2 + p3)), 12);
    expect(s.requests).toHaveLength(2);
  });

  it("a top logprob above 0 is malformed: retried, and NaN when it stays so", async () => {
    const s = await serve(() => ({ body: vllmBody([["2", 5.0], ["3", -0.2]]) }));
    const res = await judge(s.url).judge(req);
    expect(res.logprobs.every(Number.isNaN)).toBe(true);
    expect(res.error).toMatch(/malformed response \(log-probability 5 of token "2" is not <= 0\)/);
    expect(s.requests).toHaveLength(4);
  });
});
