/**
 * `train --init` takes what `sft --out` writes (issue 14, item 5): the SFT run folder stands for its
 * latest checkpoint (EMA weights, as eval samples them), and the training preset follows the
 * checkpoint's model preset when --preset is not given.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeData } from "../rl/trainer-fixtures.js";

const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });

let root: string;
let data: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "prl-init-sft-"));
  data = await makeData(join(root, "data"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("train --init SFT_RUN", () => {
  it("an SFT run folder with no checkpoint yet: one line, exit 2", () => {
    const s = join(root, "empty-sft");
    const made = cli("sft", "--data", data, "--out", s, "--preset", "tiny", "--steps", "1", "--ckpt-every", "1000", "--no-progress");
    expect(made.status, made.stderr).toBe(0); // the final checkpoint is written at the end…
    rmSync(join(s, "checkpoints"), { recursive: true }); // …so take it away to get a run that has none
    const r = cli("train", "--algo", "naspo", "--data", data, "--init", s, "--out", join(root, "r0"));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`portraitrl: --init ${s}: an SFT run folder with no checkpoint yet (no checkpoints/latest); let the SFT run reach its first checkpoint\n`);
  });

  it("trains from the SFT run's latest checkpoint (its EMA), with the cpu-tiny preset taken from the tiny checkpoint", () => {
    const s = join(root, "sft");
    const sft = cli("sft", "--data", data, "--out", s, "--preset", "tiny", "--steps", "4", "--batch", "2", "--ckpt-every", "2", "--no-progress");
    expect(sft.status, sft.stderr).toBe(0);
    const cfg = join(root, "cfg.yaml");
    writeFileSync(cfg, "groupSize: 2\ngroupsPerEpoch: 1\nrolloutBatch: 2\nmicroBatch: 2\nsampling:\n  steps: 3\nlora:\n  rank: 2\n  alpha: 4\n");
    const out = join(root, "rl");
    const r = cli("train", "--algo", "naspo", "--data", data, "--init", s, "--out", out, "--config", cfg, "--epochs", "1", "--no-progress");
    expect(r.status, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(out, "config.json"), "utf8")) as { config: { preset: string; modelPreset: string }; inputs: { init: string } };
    expect(run.config).toMatchObject({ preset: "cpu-tiny", modelPreset: "tiny" });
    expect(run.inputs.init).toBe(`${realpathSync(join(s, "checkpoints", "step-4"))} (ema)`);
  });
});
