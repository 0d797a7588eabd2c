/**
 * A training process for the resume test: tiny preset, the OpenAI-compatible judge at argv URL (with its
 * disk cache in the run folder). `KILL_AT_COMMIT=k` SIGKILLs the process while its k-th checkpoint is
 * written (complete on disk, `latest` not yet moved); `KILL_AFTER_MS` SIGKILLs it at that moment;
 * `ALGO` is the algorithm (default naspo), `ENGINE` the forward engine (default jax).
 */
import { loadDataset } from "../../src/data/index.js";
import { loadCheckpoint } from "../../src/model/index.js";
import { buildJudge, createRewardModel } from "../../src/reward/index.js";
import { inspectTrainRun, resolveTrainConfig, runPaths, train } from "../../src/rl/trainer/index.js";

const [out, init, data, url, epochs] = process.argv.slice(2) as [string, string, string, string, string];
const killAt = Number(process.env.KILL_AT_COMMIT ?? -1);
const killAfter = Number(process.env.KILL_AFTER_MS ?? -1);
if (killAfter >= 0) setTimeout(() => process.kill(process.pid, "SIGKILL"), killAfter);

const { config, algorithm } = resolveTrainConfig(process.env.ALGO ?? "naspo", "tiny", { optimizer: { lr: 0.02 }, stepsPerEpoch: 2, groupsPerEpoch: 2 }, "child", { epochs: Number(epochs), engine: process.env.ENGINE ?? "jax" });
const ck = await loadCheckpoint(init);
const records = await loadDataset(data, "train");
const run = await inspectTrainRun(out, config);
const ready = await buildJudge({ urls: [url], model: "m", cacheFile: runPaths.judgeCache(out), maxAttempts: 1 }, true, data);
const reward = createRewardModel("ours", { judge: ready.judge });
let commits = 0;
const result = await train({
  out, config, algorithm, init: { config: ck.config, base: ck.base, path: init }, records, dataDir: data, reward, run,
  hooks: { beforeCommit: () => { commits++; if (commits === killAt) process.kill(process.pid, "SIGKILL"); } },
});
await reward.close();
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(0); // jax-js worker threads would keep the process alive
