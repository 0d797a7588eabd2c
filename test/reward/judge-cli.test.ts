import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadDataset, synthesizeDataset } from "../../src/data/index.js";
import { registerJudge } from "../../src/cli/commands/judge.js";
import { UserError } from "../../src/runtime/errors.js";
import { DEFAULT_PROMPT_DIR, PROMPT_FILES } from "../../src/reward/index.js";
import { startFakeServer, vllmBody, type FakeServer } from "./fake-server.js";

let root: string;
let data: string;
let copies: string;
let server: FakeServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "judge-cli-"));
  data = join(root, "data");
  await synthesizeDataset({ out: data, identities: 2, perIdentity: 1, size: 32, seed: 3, testIdentities: 4 });
  copies = join(root, "copies");
  mkdirSync(copies);
  for (const r of await loadDataset(data, "test")) copyFileSync(r.referenceImage, join(copies, `${r.id}.png`));
  server = await startFakeServer(() => ({ body: vllmBody([["3", -0.2], [" 4", -1.8], ["Yes", -3]]) }));
});
afterAll(async () => {
  await server.close();
});

async function run(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const program = new Command().exitOverride();
  registerJudge(program);
  let stdout = "";
  let stderr = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await program.parseAsync(["node", "portraitrl", "judge", ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  return { stdout, stderr };
}

async function fails(args: string[]): Promise<UserError> {
  try {
    await run(args);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

describe("portraitrl judge", () => {
  it("scores copies with the synthetic judge by default: high DP, low PF, one line per record", async () => {
    const out = join(root, "synthetic.jsonl");
    const { stdout } = await run(["--data", data, "--images", copies, "--out", out]);
    const lines = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; dp: number; pf: number });
    expect(lines.length).toBe(4);
    const summary = JSON.parse(stdout) as { n: number; dp: { mean: number; nan: number }; pf: { mean: number }; config: { judge: { kind: string } } };
    expect(summary.n).toBe(4);
    expect(summary.config.judge.kind).toBe("synthetic");
    expect(summary.dp.mean).toBeGreaterThan(0.6);
    expect(summary.pf.mean).toBeLessThan(0.1);
  });

  it("scores through an OpenAI-compatible server, with a probe line and a cache", async () => {
    const out = join(root, "served.jsonl");
    const before = server.requests.length;
    const { stderr } = await run(["--data", data, "--images", copies, "--out", out, "--judge-url", server.url, "--judge-model", "qwen"]);
    expect(stderr).toMatch(/logprobs OK/);
    // p(3) = e^-0.2, p(4) = e^-1.8 → s = (3·e^-0.2 + 4·e^-1.8)/(e^-0.2 + e^-1.8)/4
    const s = (3 * Math.exp(-0.2) + 4 * Math.exp(-1.8)) / (Math.exp(-0.2) + Math.exp(-1.8)) / 4;
    for (const l of readFileSync(out, "utf8").trim().split("\n")) {
      const r = JSON.parse(l) as { dp: number; pf: number };
      expect(r.dp).toBeCloseTo(s, 5);
      expect(r.pf).toBeCloseTo(s, 5);
    }
    expect(server.requests.length - before).toBe(1 + 8);
    const again = await run(["--data", data, "--images", copies, "--out", out, "--judge-url", server.url, "--judge-model", "qwen"]);
    expect(server.requests.length - before).toBe(1 + 8 + 1);
    expect((JSON.parse(again.stdout) as { cacheHits: number }).cacheHits).toBe(8);
    expect(existsSync(join(root, "judge-cache.jsonl"))).toBe(true);
  });

  it("encoder rewards on synthetic data use the recognizer embedder", async () => {
    const out = join(root, "clip.jsonl");
    const { stdout } = await run(["--data", data, "--images", copies, "--out", out, "--reward", "clip-i"]);
    const summary = JSON.parse(stdout) as { score: { mean: number; nan: number }; reward: string };
    expect(summary.reward).toMatch(/clip-i\(synthetic-recognizer\)/);
    expect(summary.score.nan).toBe(0);
  });

  it("bad input: one line, exit 2, before any request and with nothing written", async () => {
    const before = server.requests.length;
    const out = join(root, "bad.jsonl");
    const bad = join(root, "prompts-bad");
    mkdirSync(bad);
    for (const f of Object.values(PROMPT_FILES)) copyFileSync(join(DEFAULT_PROMPT_DIR, f), join(bad, f));
    writeFileSync(join(bad, "dp.txt"), "Rate it {min}..{max}.");
    const cases: [string[], RegExp][] = [
      [["--judge-url", "localhost:8000", "--judge-model", "m"], /not an http\(s\) URL|not a URL/],
      [["--judge-url", server.url], /--judge-model: a model name is required/],
      [["--judge-url", server.url, "--judge-model", "m", "--levels", "0-10"], /'10' is not a single-token digit/],
      [["--judge-url", server.url, "--judge-model", "m", "--prompts", bad], /dp\.txt: missing placeholder \{levels\}/],
      [["--reward", "clip-z"], /--reward: 'clip-z' is not one of/],
    ];
    for (const [extra, msg] of cases) {
      const err = await fails(["--data", data, "--images", copies, "--out", out, ...extra]);
      expect(err.exitCode).toBe(2);
      expect(err.message).toMatch(msg);
      expect(err.message).not.toContain("\n");
    }
    expect(server.requests.length).toBe(before);
    expect(existsSync(out)).toBe(false);
  });

  it("non-synthetic data without a judge URL: a clear message", async () => {
    const plain = join(root, "plain");
    mkdirSync(plain);
    const recs = await loadDataset(data, "test");
    writeFileSync(join(plain, "test.jsonl"), recs.map((r, i) => JSON.stringify({ id: r.id, collection_id: "c", reference_image: `r${i}.png`, instruction: r.instruction })).join("\n") + "\n");
    recs.forEach((r, i) => copyFileSync(r.referenceImage, join(plain, `r${i}.png`)));
    const err = await fails(["--data", plain, "--images", copies, "--out", join(root, "p.jsonl")]);
    expect(err.message).toMatch(/no --judge-url given and the data are not synthetic/);
  });

  it("a server down at start: one line naming it, exit 1 (the real binary)", async () => {
    const dead = await startFakeServer(() => ({}));
    await dead.close();
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "judge", "--data", data, "--images", copies, "--out", join(root, "d.jsonl"), "--judge-url", dead.url, "--judge-model", "m"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain(dead.url);
    expect(lines[0]).toMatch(/no judge server reachable/);
  });
});
