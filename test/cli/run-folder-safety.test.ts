/**
 * Run-folder safety through the CLI (issue 14, items 3, 4 and 6): a second writer on one folder gets one
 * line and exit 2 and the first run's metrics stay whole; a run SIGKILLed the moment its folder appears
 * can be started again, with other settings; a compare SIGKILLed mid-cell takes its train child with it
 * and the rerun cleans its leftovers; huge sizes and judge-server flags without a server are refused
 * before anything is written.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeData, makeInit } from "../rl/trainer-fixtures.js";
import { alive, childrenOf } from "../processes.js";

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<Run>((res) => child.on("close", (status, signal) => res({ status, signal, stdout, stderr })));
  return { child, done };
}
const cli = (...args: string[]): Promise<Run> => start(args).done;

/** Resolves as soon as `path` exists (watching its parent, which must exist). */
function appears(path: string): Promise<void> {
  return new Promise((res) => {
    const w = watch(dirname(path), () => {
      if (existsSync(path)) {
        w.close();
        res();
      }
    });
    if (existsSync(path)) {
      w.close();
      res();
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
let data: string;
let init: string;
let cfg: string;
const train = (out: string, ...extra: string[]) => ["train", "--algo", "naspo", "--data", data, "--init", init, "--out", out, "--preset", "tiny", "--config", cfg, "--no-progress", ...extra];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "prl-safety-"));
  data = await makeData(join(root, "data"));
  init = await makeInit(join(root, "init"));
  cfg = join(root, "cfg.yaml");
  writeFileSync(cfg, "groupSize: 2\ngroupsPerEpoch: 1\nsampling:\n  steps: 2\nlora:\n  rank: 2\n  alpha: 4\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("one writer per run folder", () => {
  it("train: a second writer gets one line and exit 2; the first run's metrics stay one line per epoch", { timeout: 180_000 }, async () => {
    const out = join(root, "two");
    const first = start(train(out, "--epochs", "25"));
    while (!existsSync(join(out, "metrics.jsonl"))) await sleep(50);
    const second = await cli(...train(out, "--epochs", "25"));
    expect(second.status).toBe(2);
    expect(second.stderr.trim().split("\n"), second.stderr).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`^portraitrl: --out ${out}: in use by another portraitrl process \\(pid ${first.child.pid}, \`train .*\`, since .*\\); wait for it to finish or stop it\\n$`));
    const r = await first.done;
    expect(r.status, r.stderr).toBe(0);
    const epochs = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { epoch: number }).epoch);
    expect(epochs).toEqual(Array.from({ length: 25 }, (_, k) => k));
    expect(readdirSync(root).filter((e) => e.startsWith(".two"))).toEqual([]); // the lock is released
  });

  it("train: SIGKILLed the moment its folder appears, it starts again with other settings (and the dead holder's lock is taken over)", { timeout: 180_000 }, async () => {
    const out = join(root, "killed");
    const first = start(train(out, "--epochs", "2"));
    await appears(out);
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    expect(readFileSync(join(out, "config.json"), "utf8")).toMatch(/"groupSize": 2/); // the folder came with its config
    expect(existsSync(join(root, ".killed.lock"))).toBe(true); // the dead holder's
    const again = await cli(...train(out, "--epochs", "1", "--group-size", "3"));
    expect(again.status, again.stderr).toBe(0);
    const stored = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { config: { groupSize: number; epochs: number } };
    expect(stored.config).toMatchObject({ groupSize: 3, epochs: 1 });
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
    expect(readdirSync(root).filter((e) => e.startsWith(".killed"))).toEqual([]);
  });

  it("sft: SIGKILLed the moment its folder appears, it starts again with another batch size", { timeout: 180_000 }, async () => {
    const out = join(root, "sft");
    const sft = (batch: string) => ["sft", "--data", data, "--out", out, "--preset", "tiny", "--steps", "4", "--batch", batch, "--log-every", "2", "--ckpt-every", "4", "--no-progress"];
    const first = start(sft("2"));
    await appears(out);
    first.child.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).config.batchSize).toBe(2); // the folder came with its config
    const again = await cli(...sft("3"));
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).config.batchSize).toBe(3);
  });

  it("compare: SIGKILLed during a cell's training, its train child exits too; the rerun finishes and leaves no temporary files", { timeout: 300_000 }, async () => {
    const out = join(root, "cmp");
    const configs = join(root, "configs");
    mkdirSync(configs);
    writeFileSync(join(configs, "naspo.yaml"), readFileSync(cfg, "utf8"));
    const args = ["compare", "--data", data, "--init", init, "--out", out, "--algos", "naspo", "--seeds", "1", "--preset", "tiny", "--epochs", "20", "--configs", configs, "--samples", "1", "--no-progress"];
    const first = start(args);
    const metrics = join(out, "naspo", "seed0", "run", "metrics.jsonl");
    while (!existsSync(metrics)) await sleep(100);
    const children = childrenOf(first.child.pid!).map((c) => c.pid);
    expect(children).toHaveLength(1);
    first.child.kill("SIGKILL");
    await first.done;
    for (let i = 0; i < 600 && alive(children[0]!); i++) await sleep(100);
    expect(alive(children[0]!)).toBe(false);
    // what killed writers leave: a half-written results.json and a half-written eval folder
    writeFileSync(join(out, ".results.json.tmp-1-0badc0de"), "{");
    mkdirSync(join(out, "naspo", "seed0", ".eval.tmp-1-0badc0de"));
    const again = await cli(...args);
    expect(again.status, again.stderr).toBe(0);
    const left = [out, join(out, "naspo"), join(out, "naspo", "seed0")].flatMap((d) => readdirSync(d).filter((e) => /\.(tmp|old)-|\.lock$/.test(e)).map((e) => join(basename(d), e)));
    expect(left).toEqual([]);
    const epochs = readFileSync(metrics, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { epoch: number }).epoch);
    expect(epochs).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });
});

describe("sizes and flags that cannot work are refused before anything is written", () => {
  it.each([
    [["--group-size", "100000000"], /^portraitrl: --group-size 100000000 × --groups-per-epoch 1: 100000000 rollouts in one epoch of at least 6\.1 kB each \(the generated tokens and 16x16 image, float32\) need 614\.4 GB, more than this machine's .* of memory$/],
    [["--groups-per-epoch", "99999999999"], /^portraitrl: --group-size 2 × --groups-per-epoch 99999999999: .* need 1\.2 PB, more than this machine's/],
    [["--judge-model", "qwen"], /^portraitrl: --judge-model: only used with --judge-url \(without it the offline synthetic judge scores, and it does not read --judge-model\)$/],
  ])("train %j", async (extra, message) => {
    const out = join(root, "refused", "run");
    const r = await cli(...train(out, ...(extra as string[])));
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(message as RegExp);
    expect(existsSync(join(root, "refused"))).toBe(false);
  });

  it("a config whose sampling steps leave no timestep to train: the file and field, not an internal error", async () => {
    const bad = join(root, "no-timestep.yaml");
    writeFileSync(bad, "sampling:\n  steps: 2\n  timestepFraction: 0.34\n");
    const r = await cli(...train(join(root, "refused", "run")).map((a) => (a === cfg ? bad : a)));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`portraitrl: ${bad}: field sampling.timestepFraction: steps × timestepFraction must leave at least one timestep to train (int(steps·fraction) ≥ 1)\n`);
  });

  it("sft --batch 100000000", async () => {
    const out = join(root, "refused-sft", "run");
    const r = await cli("sft", "--data", data, "--out", out, "--preset", "tiny", "--batch", "100000000");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^portraitrl: --batch 100000000: 100000000 samples in one batch of at least 9\.2 kB each \(its target, noise and reference tokens, float32\) need 921\.6 GB, more than this machine's .* of memory\n$/);
    expect(existsSync(join(root, "refused-sft"))).toBe(false);
  });
});
