import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PROMPT_DIR } from "../../src/reward/index.js";
import { startFakeServer, type FakeServer } from "../reward/fake-server.js";
import { INSTRUCTIONS, expectedScore, judgeHandler, serviceError, startService, writeImages } from "./harness.js";

let dir: string;
let images: Awaited<ReturnType<typeof writeImages>>;
let fast: FakeServer;
let slow: FakeServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "serve-cli-"));
  images = await writeImages(join(dir, "img"), 2);
  fast = await startFakeServer(judgeHandler());
  slow = await startFakeServer(judgeHandler(() => false, 400));
});
afterAll(async () => {
  await Promise.all([fast.close(), slow.close()]);
});

const b64 = (path: string): string => readFileSync(path).toString("base64");
const body = (i: number): string => JSON.stringify({ prompt: [INSTRUCTIONS[0]], image: [b64(images.png[i]!)], condition_images: [[b64(images.refPng)]] });

describe("portraitrl serve-reward: configuration, auth, shutdown", () => {
  it("reads flags from a YAML file, the command line winning, and records them at GET /config", async () => {
    const yaml = join(dir, "serve.yaml");
    writeFileSync(yaml, `returns: sum\nw-dp: 0.8\njudge-url:\n  - ${fast.url}\njudge-model: qwen-vl\nlevels: "0-4"\njudge-min-side: 0\ncache: false\nedit-r1-mode: [logits_non_cot, score_continue]\n`);
    const svc = await startService(["--config", yaml, "--w-dp", "0.25"]);
    try {
      const cfg = (await (await fetch(`${svc.url}/config`)).json()) as Record<string, unknown>;
      expect(cfg).toMatchObject({
        returns: "sum",
        wDp: 0.25,
        auth: "none",
        routes: { editR1: ["POST /mode/logits_non_cot", "POST /mode/score_continue"] },
        judge: { kind: "openai", urls: [fast.url], model: "qwen-vl", levels: [0, 1, 2, 3, 4], cache: null, endpointConcurrency: 16, concurrency: 16 },
        prompts: { dp: readFileSync(join(DEFAULT_PROMPT_DIR, "dp.txt"), "utf8"), pf: readFileSync(join(DEFAULT_PROMPT_DIR, "pf.txt"), "utf8") },
      });
      const res = (await (await fetch(`${svc.url}/compute`, { method: "POST", body: body(1) })).json()) as { rewards: number[] };
      expect(res.rewards[0]).toBeCloseTo(0.25 * expectedScore("dp", 1, 0) + 0.75 * expectedScore("pf", 1, 0), 12);
    } finally {
      await svc.stop();
    }
  });

  it("says what is wrong in one line before listening", async () => {
    const yaml = join(dir, "bad.yaml");
    writeFileSync(yaml, "returns: dp\n\njudge-urls: http://x\n");
    expect(await serviceError(["--config", yaml])).toBe(
      `${yaml}:3: judge-urls: unknown key (known: host, port, returns, w-dp, edit-r1-mode, max-body-mb, token-env, judge-endpoint-concurrency, judge-url, judge-model, levels, prompts, top-logprobs, min-mass, judge-concurrency, judge-timeout, judge-retries, judge-api-key-env, judge-text-fallback, judge-min-side, cache)`,
    );
    expect(await serviceError([])).toBe("--returns is required: one of dp, pf, sum, standardized");
    expect(await serviceError(["--returns", "mean"])).toBe('--returns "mean": expected one of dp, pf, sum, standardized');
    expect(await serviceError(["--returns", "sum", "--w-dp", "1.5"])).toBe('--w-dp "1.5": expected a number in [0, 1]');
    expect(await serviceError(["--returns", "sum", "--token-env", "PORTRAITRL_TEST_UNSET_TOKEN"])).toBe("--token-env PORTRAITRL_TEST_UNSET_TOKEN: the environment variable is not set or empty");
    expect(await serviceError(["--returns", "sum", "--judge-url", "http://127.0.0.1:9/v1"])).toBe("--judge-model: a model name is required with --judge-url");
  });

  it("with a bearer token, every route but /health needs it", async () => {
    process.env.PORTRAITRL_TEST_TOKEN = "s3cret";
    const svc = await startService(["--judge-url", fast.url, "--judge-model", "m", "--no-cache", "--judge-min-side", "0", "--returns", "dp", "--token-env", "PORTRAITRL_TEST_TOKEN"]);
    try {
      expect((await fetch(`${svc.url}/health`)).status).toBe(200);
      const refused = await fetch(`${svc.url}/compute`, { method: "POST", body: body(0) });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: "authorization: a valid 'Bearer <token>' header is required", rewards: null });
      expect((await fetch(`${svc.url}/config`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      const ok = await fetch(`${svc.url}/compute`, { method: "POST", body: body(0), headers: { authorization: "Bearer s3cret" } });
      expect(((await ok.json()) as { rewards: number[] }).rewards[0]).toBeCloseTo(expectedScore("dp", 0, 0), 12);
      expect(JSON.stringify(await (await fetch(`${svc.url}/config`, { headers: { authorization: "Bearer s3cret" } })).json())).not.toContain("s3cret");
    } finally {
      await svc.stop();
      delete process.env.PORTRAITRL_TEST_TOKEN;
    }
  });

  it("SIGTERM lets the requests in flight finish, then stops listening", async () => {
    const svc = await startService(["--judge-url", slow.url, "--judge-model", "m", "--no-cache", "--judge-min-side", "0", "--returns", "dp"]);
    const inFlight = fetch(`${svc.url}/compute`, { method: "POST", body: body(1) });
    while (slow.requests.length < 2) await new Promise((r) => setTimeout(r, 5)); // the probe, then this request's judgement
    await svc.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { rewards: number[] }).rewards[0]).toBeCloseTo(expectedScore("dp", 1, 0), 12);
    expect(svc.stderr()).toContain("serve-reward: SIGTERM: finishing the requests in flight, then stopping");
    await expect(fetch(`${svc.url}/health`)).rejects.toThrow();
  });
});
