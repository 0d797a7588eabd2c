import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeServer, type FakeServer } from "../reward/fake-server.js";
import { INSTRUCTIONS, expectedScore, judgeHandler, startService, writeImages, writeJson } from "./harness.js";
import { PYTHON, runPython } from "./python.js";

const CLIENT = fileURLToPath(new URL("./clients/edit_r1_client.py", import.meta.url));
interface ClientOut {
  attempts: number;
  status: number | null;
  scores: number[] | null;
  body: string | null;
}

let dir: string;
let images: Awaited<ReturnType<typeof writeImages>>;
const judges: FakeServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "serve-r1-"));
  images = await writeImages(join(dir, "img"), 6);
});
afterAll(async () => {
  await Promise.all(judges.map((j) => j.close()));
});

async function judge(fail?: (n: number) => boolean): Promise<FakeServer> {
  const s = await startFakeServer(judgeHandler(fail));
  judges.push(s);
  return s;
}

interface Request {
  images: number[];
  prompts: string[];
  protocol?: number;
  retries?: number;
  attack?: "reduce" | "global";
  marker?: string;
}

async function client(url: string, mode: string, r: Request): Promise<ClientOut> {
  const req = writeJson(join(dir, `req-${Math.random().toString(36).slice(2)}.json`), {
    ...r,
    images: r.images.map((i) => images.jpg[i]),
    ref_images: r.images.map(() => images.refJpg),
  });
  const out = await runPython([CLIENT, url, mode, req]);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as ClientOut;
}

const judgeArgs = (url: string, extra: string[] = []): string[] => ["--judge-url", url, "--judge-model", "qwen-vl", "--judge-min-side", "0", "--no-cache", ...extra];

describe.skipIf(PYTHON === null)("Edit-R1 reward-server protocol, end to end with a Python client", () => {
  it("scores JPEG pickles of protocols 3–5; prompts beyond the images pair by position and are cut", async () => {
    const svc = await startService([...judgeArgs((await judge()).url), "--returns", "pf"]);
    try {
      for (const protocol of [3, 4, 5]) {
        const out = await client(svc.url, "logits_non_cot", { images: [2, 0, 4], prompts: [INSTRUCTIONS[3]!, INSTRUCTIONS[1]!, INSTRUCTIONS[0]!, INSTRUCTIONS[2]!, INSTRUCTIONS[4]!], protocol });
        expect(out).toMatchObject({ attempts: 1, status: 200 });
        const want = [expectedScore("pf", 2, 3), expectedScore("pf", 0, 1), expectedScore("pf", 4, 0)];
        expect(out.scores!.length).toBe(3);
        out.scores!.forEach((s, k) => expect(s).toBeCloseTo(want[k]!, 12));
      }
    } finally {
      await svc.stop();
    }
  });

  it("refuses a malicious pickle (REDUCE on os.system, or a bare global) with a 400 the client does not retry, and runs nothing", async () => {
    const svc = await startService([...judgeArgs((await judge()).url), "--returns", "dp"]);
    try {
      const marker = join(dir, "pwned");
      const reduce = await client(svc.url, "logits_non_cot", { images: [0], prompts: ["x"], protocol: 4, attack: "reduce", marker });
      expect(reduce).toMatchObject({ attempts: 1, status: 400, scores: null });
      expect(reduce.body).toMatch(/^pickle: opcode STACK_GLOBAL at byte \d+ looks up or calls a global; only plain data \(dict, list, tuple, str, bytes, numbers, bool, None\) is accepted\n$/);
      const global = await client(svc.url, "logits_non_cot", { images: [0], prompts: ["x"], protocol: 2, attack: "global" });
      expect(global).toMatchObject({ attempts: 1, status: 400 });
      expect(global.body).toMatch(/^pickle: opcode GLOBAL at byte \d+ /);
      expect(existsSync(marker)).toBe(false);
      expect(svc.stderr()).toMatch(/POST \/mode\/logits_non_cot 400: pickle: opcode STACK_GLOBAL/);
    } finally {
      await svc.stop();
    }
  });

  it("a failed judgement is a 500 that the client retries, never a score; an unknown mode is a 404", async () => {
    const down = await judge((n) => n > 1);
    const svc = await startService([...judgeArgs(down.url, ["--judge-retries", "1"]), "--returns", "sum", "--edit-r1-mode", "score_continue"]);
    try {
      const out = await client(svc.url, "score_continue", { images: [0, 1], prompts: ["x", "y"], retries: 3 });
      expect(out).toMatchObject({ attempts: 3, status: 500, scores: null });
      expect(out.body).toMatch(/^2 of 2 rewards could not be obtained: failed after 1 tries: http:\/\/127\.0\.0\.1:\d+\/v1: HTTP 500\n$/);
      const unknown = await client(svc.url, "logits_non_cot", { images: [0], prompts: ["x"] });
      expect(unknown).toMatchObject({ attempts: 1, status: 404, body: "/mode/logits_non_cot: unknown mode; this service answers /mode/score_continue (--edit-r1-mode)\n" });
    } finally {
      await svc.stop();
    }
  });

  it("an oversized body is refused with 413, not retried", async () => {
    const svc = await startService([...judgeArgs((await judge()).url), "--returns", "dp", "--max-body-mb", "1"]);
    try {
      const out = await client(svc.url, "logits_non_cot", { images: [0], prompts: ["x".repeat(1.5 * 1024 * 1024)] });
      expect(out).toMatchObject({ attempts: 1, status: 413, scores: null, body: "body: larger than the limit of 1048576 bytes (--max-body-mb)\n" });
    } finally {
      await svc.stop();
    }
  });
});
