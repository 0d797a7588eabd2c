/**
 * `compare --stop val-best` (issue 24): a trained cell's test eval reads the checkpoint of the best point
 * of its validation curve (½·(DP + PF) of eval's judge on val, ties to the earlier epoch), computed here
 * from the run's own metrics.jsonl; configs that cannot support it are refused before any work.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthesizeDataset } from "../../src/data/index.js";
import { valBestStop } from "../../src/compare/stop.js";
import { cliAsync } from "../cli-async.js";
import { makeInit } from "../rl/trainer-fixtures.js";

let root: string;
let data: string;
let init: string;
const budget = "groupSize: 2\ngroupsPerEpoch: 2\nrolloutBatch: 4\nmicroBatch: 4\nstepsPerEpoch: 2\noptimizer:\n  lr: 0.05\nsampling:\n  steps: 3\nlora:\n  rank: 2\n  alpha: 4\n";
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "prl-stop-"));
  data = join(root, "data");
  mkdirSync(data);
  await synthesizeDataset({ out: data, identities: 6, perIdentity: 1, size: 16, seed: 5, testIdentities: 2, valIdentities: 3 });
  init = await makeInit(join(root, "init"));
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const configsWith = (name: string, extra: string): string => {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "naspo.yaml"), budget + extra);
  return dir;
};
const compare = (configs: string, out: string) =>
  cliAsync("compare", "--data", data, "--init", init, "--out", out, "--algos", "sft,naspo", "--seeds", "1", "--preset", "tiny", "--epochs", "4", "--configs", configs, "--samples", "2", "--stop", "val-best", "--no-progress");

describe("valBestStop", () => {
  it("the highest ½·(DP + PF) among the validation points, ties to the earlier; lines without a point are skipped", () => {
    const run = join(root, "hand");
    const line = (epoch: number, step: number, dp: number | null, pf: number | null) => JSON.stringify({ epoch, step, ...(dp === null ? {} : { val: { epochs: epoch + 1, n: 3, seconds: 1, means: { judge_dp: dp, judge_pf: pf } } }) });
    mkdirSync(join(run, "checkpoints", "step-4"), { recursive: true });
    // scores (exact in binary): 0.25, —, 0.75, 0.5, 0.75 (a tie with epoch 3: the earlier wins), and a failed judge (null PF)
    writeFileSync(join(run, "metrics.jsonl"), [line(0, 2, 0.5, 0), line(1, 3, null, null), line(2, 4, 1, 0.5), line(3, 5, 0.25, 0.75), line(4, 6, 0.75, 0.75), line(5, 7, 1, null)].join("\n") + "\n");
    expect(valBestStop(run)).toEqual({ epochs: 3, step: 4, score: 0.75, checkpoint: join(run, "checkpoints", "step-4") });
    rmSync(join(run, "checkpoints", "step-4"), { recursive: true });
    expect(() => valBestStop(run)).toThrow(/the val-best point \(epoch 3\) has no checkpoint left/);
    expect(valBestStop(join(root, "no-such-run"))).toBeNull();
  });
});

describe("compare --stop val-best", () => {
  it("evaluates the checkpoint of the best validation point on test", async () => {
    const out = join(root, "cmp");
    const r = await compare(configsWith("ok", "validation:\n  every: 1\n  samples: 3\nkeepCheckpoints: 4\n"), out);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(join(out, "naspo", "seed0", "run", "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number; val: { means: { judge_dp: number; judge_pf: number } } });
    expect(lines).toHaveLength(4);
    const scores = lines.map((l) => (l.val.means.judge_dp + l.val.means.judge_pf) / 2);
    const best = scores.indexOf(Math.max(...scores));
    const ev = JSON.parse(readFileSync(join(out, "naspo", "seed0", "eval", "eval.json"), "utf8")) as { checkpoint: string; split: string };
    expect(ev.split).toBe("test");
    expect(ev.checkpoint).toMatch(new RegExp(`/naspo/seed0/run/checkpoints/step-${lines[best]!.step} \\(ema\\)$`));
    const manifest = JSON.parse(readFileSync(join(out, "compare.json"), "utf8")) as { stop?: string };
    expect(manifest.stop).toBe("val-best");
    // continuing with another rule is refused, naming the setting
    const again = await cliAsync("compare", "--data", data, "--init", init, "--out", out, "--algos", "sft,naspo", "--seeds", "1", "--preset", "tiny", "--epochs", "4", "--configs", join(root, "ok"), "--samples", "2", "--no-progress");
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/compare\.json: stop differs: "val-best" in the compare folder, "latest" in this command/);
  }, 300_000);

  it("a config without a validation curve, or keeping too few checkpoints: one line, exit 2, nothing written", async () => {
    const none = await compare(configsWith("none", ""), join(root, "cmp-none"));
    expect(none.status).toBe(2);
    expect(none.stderr).toBe("portraitrl: --stop val-best: naspo trains without a validation curve; set validation: {every: N, samples: K} in its config\n");
    const few = await compare(configsWith("few", "validation:\n  every: 1\n  samples: 2\nkeepCheckpoints: 2\n"), join(root, "cmp-few"));
    expect(few.status).toBe(2);
    expect(few.stderr).toBe("portraitrl: --stop val-best: naspo makes 4 validation points but keeps 2 checkpoints; set keepCheckpoints: 4 or more\n");
    expect(existsSync(join(root, "cmp-none"))).toBe(false);
    expect(existsSync(join(root, "cmp-few"))).toBe(false);
  }, 120_000);
});
