import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "../reward/fake-server.js";
import { INSTRUCTIONS, expectedScore, judgeHandler, startService, writeImages, writeJson } from "./harness.js";
import { PYTHON, runPython } from "./python.js";

const CLIENT = fileURLToPath(new URL("./clients/flow_factory_client.py", import.meta.url));
interface ClientOut {
  health: boolean;
  attempts: number;
  status: number | null;
  rewards: number[] | null;
  error: string | null;
  raw: string | null;
}

let dir: string;
let images: Awaited<ReturnType<typeof writeImages>>;
const judges: FakeServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "serve-ff-"));
  images = await writeImages(join(dir, "img"), 8);
});
afterAll(async () => {
  await Promise.all(judges.map((j) => j.close()));
});

async function judge(fail?: (n: number) => boolean): Promise<string> {
  const s = await startFakeServer(judgeHandler(fail));
  judges.push(s);
  return s.url;
}

async function client(url: string, samples: number[], instruction: (i: number) => string, retries = 3): Promise<ClientOut> {
  const req = writeJson(join(dir, `req-${Math.random().toString(36).slice(2)}.json`), {
    prompt: samples.map(instruction),
    image: samples.map((i) => images.png[i]),
    reference: samples.map(() => images.refPng),
  });
  const r = await runPython([CLIENT, url, req, String(retries)]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ClientOut;
}

const judgeArgs = (url: string, extra: string[] = []): string[] => ["--judge-url", url, "--judge-model", "qwen-vl", "--judge-min-side", "0", "--no-cache", ...extra];

describe.skipIf(PYTHON === null)("Flow-Factory remote reward protocol, end to end with a Python client", () => {
  it("pointwise: the weighted raw sum of DP and PF (Eq. 9–11, 13) per sample, in input order", async () => {
    const svc = await startService([...judgeArgs(await judge()), "--returns", "sum", "--w-dp", "0.3"]);
    try {
      const samples = [3, 0, 2, 1];
      const out = await client(svc.url, samples, (i) => INSTRUCTIONS[i]!);
      expect(out).toMatchObject({ health: true, attempts: 1, status: 200, error: null });
      const want = samples.map((i) => 0.3 * expectedScore("dp", i, i) + 0.7 * expectedScore("pf", i, i));
      out.rewards!.forEach((r, k) => expect(r).toBeCloseTo(want[k]!, 12));
    } finally {
      await svc.stop();
    }
  });

  it("groupwise: Eq. 12–13 within the group matches the standardisation computed by hand", async () => {
    const svc = await startService([...judgeArgs(await judge()), "--returns", "standardized", "--w-dp", "0.3"]);
    try {
      const group = [0, 1, 2, 3, 4, 5];
      const out = await client(`${svc.url}/groupwise`, group, () => INSTRUCTIONS[1]!);
      expect(out).toMatchObject({ health: true, status: 200, error: null });
      const dp = group.map((i) => expectedScore("dp", i, 1));
      const pf = group.map((i) => expectedScore("pf", i, 1));
      const z = (xs: number[]): number[] => {
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
        return xs.map((x) => (x - m) / sd); // Eq. 12 (population std; far above the 1e-6 floor here)
      };
      const [zd, zp] = [z(dp), z(pf)];
      const want = group.map((_, k) => 0.3 * zd[k]! + 0.7 * zp[k]!); // Eq. 13
      out.rewards!.forEach((r, k) => expect(r).toBeCloseTo(want[k]!, 10));
      expect(out.rewards!.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 10);

      const mixed = await client(`${svc.url}/groupwise`, [0, 1], (i) => INSTRUCTIONS[i]!, 1);
      expect(mixed).toMatchObject({ status: 400, rewards: null, error: "prompt[1]: a groupwise request is one group of one prompt, but it differs from prompt[0]" });
      const pointwise = await client(svc.url, [0, 1], () => INSTRUCTIONS[0]!, 1);
      expect(pointwise.status).toBe(400);
      expect(pointwise.error).toContain("needs a whole group: post to /groupwise/compute");
    } finally {
      await svc.stop();
    }
  });

  it("a judge failing 20% of requests: a failed item never comes back as a number; with retries every item is scored", async () => {
    const failing = (n: number): boolean => n % 5 === 0;
    const strict = await startService([...judgeArgs(await judge(failing), ["--judge-retries", "1"]), "--returns", "sum"]);
    const outcomes: ClientOut[] = [];
    try {
      for (let k = 0; k < 8; k++) outcomes.push(await client(strict.url, [k % 8, (k + 3) % 8], (i) => INSTRUCTIONS[i % 5]!, 1));
      const metrics = await (await fetch(`${strict.url}/metrics`)).text();
      const failedCount = outcomes.filter((o) => o.status === 500).length;
      expect(metrics).toContain(`portraitrl_reward_requests_total{protocol="flow-factory-pointwise",status="500"} ${failedCount}`);
      expect(Number(/portraitrl_judgements_failed_total (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(failedCount);
      expect(strict.stderr()).toMatch(/judge http:\/\/127\.0\.0\.1:\d+\/v1: retryable error: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 500/);
      expect(strict.stderr()).toMatch(/serve-reward: [12] judgements? failed after their retries: failed after 1 tries: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 500/);
    } finally {
      await strict.stop();
    }
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(outcomes.length);
    for (const o of failed) {
      expect(o.status).toBe(500);
      expect(o.rewards).toBeNull();
      expect(o.raw).not.toMatch(/NaN|Infinity|"rewards":\s*\[/);
      expect(o.error).toMatch(/^\d of 2 rewards could not be obtained: failed after 1 tries: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 500/);
    }
    outcomes.forEach((o, k) => {
      if (o.status !== 200) return;
      const want = [k % 8, (k + 3) % 8].map((i) => 0.5 * expectedScore("dp", i, i % 5) + 0.5 * expectedScore("pf", i, i % 5));
      o.rewards!.forEach((r, m) => expect(r).toBeCloseTo(want[m]!, 12));
    });

    const patient = await startService([...judgeArgs(await judge(failing), ["--judge-retries", "4"]), "--returns", "sum"]);
    try {
      for (let k = 0; k < 4; k++) {
        const o = await client(patient.url, [k, k + 4], (i) => INSTRUCTIONS[i % 5]!, 1);
        expect(o.status).toBe(200);
        const want = [k, k + 4].map((i) => 0.5 * expectedScore("dp", i, i % 5) + 0.5 * expectedScore("pf", i, i % 5));
        o.rewards!.forEach((r, m) => expect(r).toBeCloseTo(want[m]!, 12));
      }
      const metrics = await (await fetch(`${patient.url}/metrics`)).text();
      expect(metrics).toMatch(/portraitrl_judge_attempts_total\{endpoint="http:\/\/127\.0\.0\.1:\d+\/v1",outcome="retry"\} [1-9]/);
      expect(metrics).toContain('portraitrl_reward_requests_total{protocol="flow-factory-pointwise",status="200"} 4');
      expect(metrics).toContain("portraitrl_judgements_failed_total 0");
    } finally {
      await patient.stop();
    }
  });

  it("an oversized body is refused with 413 and one line, before any judging", async () => {
    const url = await judge();
    const svc = await startService([...judgeArgs(url), "--returns", "dp", "--max-body-mb", "1"]);
    try {
      const big = join(dir, "big.png");
      const sharp = (await import("sharp")).default;
      let x = 2463534242; // xorshift32, seeded: incompressible pixels, so the PNG stays above 1 MiB
      const noise = Buffer.alloc(800 * 800 * 3).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 24));
      await sharp(noise, { raw: { width: 800, height: 800, channels: 3 } }).png().toFile(big);
      const req = writeJson(join(dir, "big.json"), { prompt: ["x"], image: [big], reference: [images.refPng] });
      const r = await runPython([CLIENT, svc.url, req, "1"]);
      const out = JSON.parse(r.stdout) as ClientOut;
      expect(out).toMatchObject({ status: 413, rewards: null, error: "body: larger than the limit of 1048576 bytes (--max-body-mb)" });
      expect(judges.find((j) => j.url === url)!.requests.length).toBe(1); // the start-up probe only
    } finally {
      await svc.stop();
    }
  });
});
