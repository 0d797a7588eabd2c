import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/runtime/errors.js";
import { EndpointPool } from "../../src/reward/endpoints.js";
import { toPng } from "../../src/reward/image.js";
import { OpenAIJudge, type OpenAIJudgeOptions } from "../../src/reward/openai-judge.js";
import { levelScore } from "../../src/reward/score.js";
import type { Image, JudgeRequest } from "../../src/reward/types.js";
import { llamaCppBody, noLogprobsBody, startFakeServer, vllmBody, type FakeServer, type Handler } from "./fake-server.js";

const img = (v: number): Image => ({ kind: "rgb", data: new Float32Array(4 * 4 * 3).fill(v), width: 4, height: 4 });
const req = (v = 0.2, kind: JudgeRequest["kind"] = "pf"): JudgeRequest => ({ kind, reference: img(0.9), instruction: "Raise her left arm.", generated: img(v) });

/** Top candidates with " 3", byte-level markers, non-digit tokens, and levels 0 and 1 missing. */
const TOP: [string, number][] = [
  ["3", -0.5],
  [" 3", -2.0],
  ["Ġ4", -1.2],
  ["The", -3.0],
  ["▁2", -2.5],
  ["10", -4.0],
  ["7", -4.5],
];
/** Eq. 9–11 by hand for TOP over levels 0..4. */
const P3 = Math.exp(-0.5) + Math.exp(-2.0);
const P4 = Math.exp(-1.2);
const P2 = Math.exp(-2.5);
const MASS = P2 + P3 + P4;
const EXPECTED = (2 * P2 + 3 * P3 + 4 * P4) / MASS / 4;

const servers: FakeServer[] = [];
async function serve(h: Handler): Promise<FakeServer> {
  const s = await startFakeServer(h);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const fast = (urls: string[], extra: Partial<OpenAIJudgeOptions> = {}): OpenAIJudge =>
  new OpenAIJudge({ urls, model: "qwen-vl", backoffMs: 5, maxBackoffMs: 20, timeoutMs: 5000, deadCooldownMs: 60_000, ...extra });

describe("OpenAI-compatible judge against a local server", () => {
  it("sends the reference then the generated PNG, prompt last, with the logprob settings", async () => {
    const s = await serve(() => ({ body: vllmBody(TOP) }));
    const r = req(0.2);
    await fast([s.url], { minImageSide: 0 }).judge(r);
    await fast([s.url]).judge(r);
    const body = s.requests[0] as { model: string; temperature: number; max_tokens: number; logprobs: boolean; top_logprobs: number; messages: { content: { type: string; image_url?: { url: string }; text?: string }[] }[] };
    expect(body).toMatchObject({ model: "qwen-vl", temperature: 0, max_tokens: 1, logprobs: true, top_logprobs: 20 });
    const parts = body.messages[0]!.content;
    expect(parts.map((p) => p.type)).toEqual(["image_url", "image_url", "text"]);
    const b64 = (p: (typeof parts)[number]): Buffer => Buffer.from(p.image_url!.url.replace(/^data:image\/png;base64,/, ""), "base64");
    expect(b64(parts[0]!).equals(Buffer.from(await toPng(r.reference)))).toBe(true);
    expect(b64(parts[1]!).equals(Buffer.from(await toPng(r.generated)))).toBe(true);
    // by default 4 px images are enlarged ×14 (nearest neighbour) to the 56 px minimum side
    const big = (s.requests[1] as typeof body).messages[0]!.content;
    const sent = await sharp(b64(big[1]!)).raw().toBuffer({ resolveWithObject: true });
    expect([sent.info.width, sent.info.height]).toEqual([56, 56]);
    expect(new Set(sent.data)).toEqual(new Set([51]));
    expect(parts[2]!.text).toContain("Raise her left arm.");
    expect(parts[2]!.text).toContain("0, 1, 2, 3, 4");
    expect(parts[2]!.text).not.toMatch(/\{[a-z]+\}/);
  });

  it("maps ' 3', 'Ġ4', '▁2' to levels, ignores other tokens, renormalises (vLLM)", async () => {
    const s = await serve(() => ({ body: vllmBody(TOP) }));
    const res = await fast([s.url]).judge(req());
    expect(res.mass).toBeCloseTo(MASS, 12);
    expect(res.logprobs[0]).toBe(-Infinity);
    expect(res.logprobs[1]).toBe(-Infinity);
    expect(res.logprobs[3]).toBeCloseTo(Math.log(P3 / MASS), 12);
    expect(levelScore(res.logprobs, [0, 1, 2, 3, 4])).toBeCloseTo(EXPECTED, 12);
    expect(res.tokens.length).toBe(TOP.length);
  });

  it("reads llama.cpp bodies (logprob and post-sampling prob) to the same score", async () => {
    for (const post of [false, true]) {
      const s = await serve(() => ({ body: llamaCppBody(TOP, post) }));
      const res = await fast([s.url]).judge(req());
      expect(levelScore(res.logprobs, [0, 1, 2, 3, 4])).toBeCloseTo(EXPECTED, 10);
    }
  });

  it("gives NaN when logprobs are absent (Ollama dropping them) unless the text fallback is asked for", async () => {
    const s = await serve(() => ({ body: noLogprobsBody("3") }));
    const res = await fast([s.url]).judge(req());
    expect(res.logprobs.every(Number.isNaN)).toBe(true);
    expect(res.error).toMatch(/no logprobs/);
    const text = await fast([s.url], { textFallback: true }).judge(req());
    expect(text.mode).toBe("text");
    expect(levelScore(text.logprobs, [0, 1, 2, 3, 4])).toBe(0.75);
  });

  it("gives NaN when the mass on the levels is below 0.5", async () => {
    const s = await serve(() => ({ body: vllmBody([["The", -0.1], ["4", -1.0], ["Sure", -2]]) }));
    const res = await fast([s.url]).judge(req());
    expect(res.mass).toBeCloseTo(Math.exp(-1), 12);
    expect(Number.isNaN(levelScore(res.logprobs, [0, 1, 2, 3, 4]))).toBe(true);
    expect(res.error).toMatch(/mass/);
  });

  it("retries after 500s and succeeds", async () => {
    const s = await serve((_b, n) => (n <= 2 ? { status: 500, body: { error: { message: "boom" } } } : { body: vllmBody(TOP) }));
    const res = await fast([s.url]).judge(req());
    expect(s.requests.length).toBe(3);
    expect(levelScore(res.logprobs, [0, 1, 2, 3, 4])).toBeCloseTo(EXPECTED, 12);
  });

  it("gives NaN, never a number, when every try fails", async () => {
    const s = await serve(() => ({ status: 503, body: {} }));
    const res = await fast([s.url], { maxAttempts: 3 }).judge(req());
    expect(s.requests.length).toBe(3);
    expect(res.logprobs.every(Number.isNaN)).toBe(true);
    expect(res.error).toMatch(/3 tries.*503/);
  });

  it("honours Retry-After on 429", async () => {
    const arrivals: number[] = [];
    const s = await serve((_b, n) => {
      arrivals.push(Date.now());
      return n === 1 ? { status: 429, headers: { "retry-after": "1" }, body: { error: { message: "slow down" } } } : { body: vllmBody(TOP) };
    });
    const res = await fast([s.url]).judge(req());
    expect(Number.isFinite(levelScore(res.logprobs, [0, 1, 2, 3, 4]))).toBe(true);
    expect(arrivals.length).toBe(2);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(950);
  });

  it("times out a request that hangs and retries it", async () => {
    const s = await serve((_b, n) => (n === 1 ? { delayMs: 3000, body: vllmBody(TOP) } : { body: vllmBody(TOP) }));
    const res = await fast([s.url], { timeoutMs: 200 }).judge(req());
    expect(s.requests.length).toBe(2);
    expect(Number.isFinite(levelScore(res.logprobs, [0, 1, 2, 3, 4]))).toBe(true);
    const s2 = await serve(() => ({ delayMs: 3000, body: vllmBody(TOP) }));
    const bad = await fast([s2.url], { timeoutMs: 100, maxAttempts: 2 }).judge(req());
    expect(bad.error).toMatch(/timed out/);
    expect(bad.logprobs.every(Number.isNaN)).toBe(true);
  });

  it("gives NaN on a malformed body", async () => {
    const s = await serve(() => ({ raw: '{"choices": [ {"logprobs": ' }));
    const res = await fast([s.url]).judge(req());
    expect(res.logprobs.every(Number.isNaN)).toBe(true);
    expect(res.error).toMatch(/malformed/);
  });

  it("skips a dead endpoint among three", async () => {
    const a = await serve(() => ({ body: vllmBody(TOP) }));
    const b = await serve(() => ({ body: vllmBody(TOP) }));
    const dead = await startFakeServer(() => ({}));
    await dead.close();
    const j = fast([a.url, dead.url, b.url]);
    const out = await Promise.all(Array.from({ length: 12 }, (_, i) => j.judge(req(i / 12))));
    expect(out.every((r) => Number.isFinite(levelScore(r.logprobs, [0, 1, 2, 3, 4])))).toBe(true);
    expect(a.requests.length + b.requests.length).toBe(12);
    expect(a.requests.length).toBeGreaterThan(0);
    expect(b.requests.length).toBeGreaterThan(0);
  });

  it("answers from the disk cache on a second run with no request, and survives a torn last line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "judge-cache-"));
    const file = join(dir, "cache.jsonl");
    const s = await serve(() => ({ body: vllmBody(TOP) }));
    const j1 = fast([s.url], { cacheFile: file });
    const first = await j1.judge(req(0.3));
    await j1.close();
    expect(s.requests.length).toBe(1);
    appendFileSync(file, '{"k":"torn","v":{"mode":"logpr');
    const j2 = fast([s.url], { cacheFile: file });
    const again = await j2.judge(req(0.3));
    expect(s.requests.length).toBe(1);
    expect(again.cached).toBe(true);
    expect(again.logprobs).toEqual(first.logprobs);
    await j2.judge(req(0.4));
    await j2.close();
    expect(s.requests.length).toBe(2);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines.length).toBe(3);
    expect(() => JSON.parse(lines[2]!)).not.toThrow();
    const j3 = fast([s.url], { cacheFile: file });
    expect((await j3.judge(req(0.4))).cached).toBe(true);
    expect((await j3.judge(req(0.3))).cached).toBe(true);
    expect(s.requests.length).toBe(2);
  });

  it("never has more requests in flight than the bound", async () => {
    const s = await serve(() => ({ delayMs: 20, body: vllmBody(TOP) }));
    const j = fast([s.url], { concurrency: 3 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => j.judge(req(i / 30))));
    expect(s.requests.length).toBe(30);
    expect(s.maxInFlight).toBeLessThanOrEqual(3);
    expect(s.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it("probes: a verdict line when logprobs work, a clear error when not or when down", async () => {
    const ok = await serve(() => ({ body: vllmBody([["2", -0.1]]) }));
    expect((await fast([ok.url]).probe())[0]).toMatch(/logprobs OK/);
    const nolp = await serve(() => ({ body: noLogprobsBody("2") }));
    await expect(fast([nolp.url]).probe()).rejects.toThrow(/no logprobs.*--judge-text-fallback/);
    const dead = await startFakeServer(() => ({}));
    await dead.close();
    await expect(fast([dead.url]).probe()).rejects.toThrow(new RegExp(`no judge server reachable.*${dead.url.replace(/[.]/g, "\\.")}`));
    const lines = await fast([ok.url, dead.url]).probe();
    expect(lines[1]).toMatch(/DOWN/);
  });

  it("rejects bad options with exit 2 before any request", async () => {
    const s = await serve(() => ({ body: vllmBody(TOP) }));
    const cases: Partial<OpenAIJudgeOptions>[] = [{ urls: ["localhost:8000"] }, { urls: ["not a url"] }, { model: "" }, { levels: [0, 10] }, { levels: [1] }, { topLogprobs: 0 }];
    for (const c of cases) {
      let err: unknown;
      try {
        fast([s.url], c);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(2);
      expect((err as UserError).message).not.toContain("\n");
    }
    expect(s.requests.length).toBe(0);
  });

  it("never prints the API key", async () => {
    process.env.TEST_JUDGE_KEY = "sk-secret-123";
    const s = await serve(() => ({ status: 401, body: { error: { message: "bad key" } } }));
    const res = await fast([s.url], { apiKeyEnv: "TEST_JUDGE_KEY" }).judge(req());
    expect(res.error).toMatch(/401/);
    expect(res.error).not.toContain("sk-secret-123");
    delete process.env.TEST_JUDGE_KEY;
  });
});

describe("endpoint rotation", () => {
  it("skips a dead endpoint until its cool-down ends, then tries it again", () => {
    const p = new EndpointPool(["a", "b", "c"], 100);
    p.markDead(1, 0);
    const picks = Array.from({ length: 4 }, () => (p.pick(50) as { index: number }).index);
    expect(picks).toEqual([0, 2, 0, 2]);
    expect(new Set(Array.from({ length: 3 }, () => (p.pick(150) as { index: number }).index))).toEqual(new Set([0, 1, 2]));
    p.markDead(0, 200);
    p.markDead(1, 200);
    p.markDead(2, 200);
    expect(p.pick(210)).toEqual({ waitMs: 90 });
  });
});

/** Issue 14, item 2: the probe retries like any request; truncated bodies and logprobs above 0 are retried, then NaN. */
const flaky: JudgeRequest = { kind: "dp", reference: img(0.9), instruction: "Turn her head.", generated: img(0.3) };
const GOOD = vllmBody([["2", -0.1], ["3", -2.4]]);

describe("judge start-up probe against a flaky server (retried like any request)", () => {
  it("a server that answers 503 to its first request only is up", async () => {
    const s = await serve((_, n) => (n === 1 ? { status: 503, body: { error: "loading" } } : { body: GOOD }));
    const lines = await fast([s.url], { maxAttempts: 4 }).probe();
    expect(lines).toEqual([`judge ${s.url}: logprobs OK (2 candidates, mass on levels 1.00)`]);
    expect(s.requests).toHaveLength(2);
  });

  it("a 429 with Retry-After is waited out, then the server is up", async () => {
    const s = await serve((_, n) => (n === 1 ? { status: 429, headers: { "retry-after-ms": "30" }, body: {} } : { body: GOOD }));
    expect((await fast([s.url], { maxAttempts: 4 }).probe())[0]).toMatch(/logprobs OK/);
  });

  it("a server that stays down is DOWN after the tries, with one line", async () => {
    const s = await serve(() => ({ status: 503, body: {} }));
    await expect(fast([s.url], { maxAttempts: 4 }).probe()).rejects.toThrow(`no judge server reachable: ${s.url}: DOWN (HTTP 503, 4 tries)`);
    expect(s.requests).toHaveLength(4);
  });
});

describe("judge replies mid-run: truncated or impossible bodies are retried, then NaN", () => {
  it("a truncated body is retried like a 5xx and the retry's answer is the score", async () => {
    const s = await serve((_, n) => (n === 1 ? { raw: '{"choices": [ {"logprobs": ' } : { body: GOOD }));
    const res = await fast([s.url], { maxAttempts: 4 }).judge(flaky);
    expect(res.error).toBeUndefined();
    const p2 = Math.exp(-0.1);
    const p3 = Math.exp(-2.4);
    expect(res.logprobs[2]).toBeCloseTo(Math.log(p2 / (p2 + p3)), 12);
    expect(s.requests).toHaveLength(2);
  });

  it("a top logprob above 0 is malformed: retried, and NaN when it stays so", async () => {
    const s = await serve(() => ({ body: vllmBody([["2", 5.0], ["3", -0.2]]) }));
    const res = await fast([s.url], { maxAttempts: 4 }).judge(flaky);
    expect(res.logprobs.every(Number.isNaN)).toBe(true);
    expect(res.error).toMatch(/malformed response \(log-probability 5 of token "2" is not <= 0\)/);
    expect(s.requests).toHaveLength(4);
  });
});
