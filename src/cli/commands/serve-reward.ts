/**
 * `portraitrl serve-reward`: the PortraitRL reward (DP and PF from the judge's score-token log-probabilities,
 * Eq. 9–11, combined by Eq. 12–13) as an HTTP service speaking Flow-Factory's remote reward protocol and
 * Edit-R1's reward-server protocol. Without --judge-url it fronts the offline synthetic judge (the built-in
 * benchmark's images only). Flags can come from a YAML file (--config); the command line wins.
 */
import { versions } from "../../runtime/versions.js";
import { Option, type Command } from "commander";
import { UserError } from "../../runtime/errors.js";
import { buildJudge, loadTemplates, DEFAULT_PROMPT_DIR } from "../../reward/index.js";
import { ServiceMetrics } from "../../serve/metrics.js";
import { RewardScorer, SERVED_REWARDS, type ServedReward } from "../../serve/scorer.js";
import { RewardService } from "../../serve/server.js";
import { requiredInt } from "../int-flag.js";
import { applyYamlFlags } from "../yaml-flags.js";
import { addJudgeOptions, judgeConfigFrom, type JudgeFlags } from "../shared-options.js";

interface ServeCliOptions extends JudgeFlags {
  config?: string;
  host: string;
  port: string;
  returns?: string;
  wDp: string;
  editR1Mode: string[];
  maxBodyMb: string;
  tokenEnv?: string;
  judgeEndpointConcurrency: string;
}

function weight(text: string): number {
  const w = Number(text);
  if (text.trim() === "" || !(w >= 0 && w <= 1)) throw new UserError(`--w-dp ${JSON.stringify(text)}: expected a number in [0, 1]`);
  return w;
}

function bearer(envName: string | undefined): string | null {
  if (envName === undefined) return null;
  const token = process.env[envName];
  if (!token) throw new UserError(`--token-env ${envName}: the environment variable is not set or empty`);
  return token;
}

export function registerServeReward(program: Command): void {
  const cmd = program
    .command("serve-reward")
    .description("serve the PortraitRL reward over HTTP to Flow-Factory (POST /compute, /groupwise/compute) and Edit-R1 (POST /mode/<mode>)")
    .option("--config <file>", "YAML file of flag values (keys: the long flags without --); the command line wins")
    .option("--host <addr>", "address to bind (0.0.0.0 to serve other machines)", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", "8000")
    .option("--returns <what>", `what each sample's reward is: ${SERVED_REWARDS.join(" | ")} (required)`)
    .option("--w-dp <w>", "w_dp of Eq. 13 for sum and standardized (w_pf = 1 - w_dp)", "0.5")
    .addOption(new Option("--edit-r1-mode <name>", "a <mode> that POST /mode/<mode> answers (repeat for several)").argParser((v: string, prev: string[]) => [...prev, v]).default([], "logits_non_cot"))
    .option("--max-body-mb <n>", "largest request body, MiB", "64")
    .option("--token-env <name>", "environment variable holding a bearer token every route but /health then requires (never printed)")
    .option("--judge-endpoint-concurrency <n>", "requests in flight at most to each judge server", "16");
  addJudgeOptions(cmd, { embedders: false }).action(async (_o: ServeCliOptions, command: Command) => {
    const first = command.opts<ServeCliOptions>();
    if (first.config !== undefined) applyYamlFlags(command, first.config, ["config"]);
    const o = command.opts<ServeCliOptions>();
    if (o.returns === undefined) throw new UserError(`--returns is required: one of ${SERVED_REWARDS.join(", ")}`);
    if (!(SERVED_REWARDS as readonly string[]).includes(o.returns)) throw new UserError(`--returns ${JSON.stringify(o.returns)}: expected one of ${SERVED_REWARDS.join(", ")}`);
    const returns = o.returns as ServedReward;
    const wDp = weight(o.wDp);
    const port = requiredInt("--port", o.port, 0);
    if (port > 65535) throw new UserError(`--port ${port}: above 65535`);
    const maxBodyBytes = requiredInt("--max-body-mb", o.maxBodyMb, 1) * 1024 * 1024;
    const perJudge = requiredInt("--judge-endpoint-concurrency", o.judgeEndpointConcurrency, 1);
    const modes = o.editR1Mode.length > 0 ? o.editR1Mode : ["logits_non_cot"];
    const token = bearer(o.tokenEnv);
    const cfg = judgeConfigFrom(o, "judge-cache.jsonl");
    const concurrency = command.getOptionValueSource("judgeConcurrency") === "default" ? perJudge * Math.max(1, cfg.urls.length) : cfg.concurrency;

    const metrics = new ServiceMetrics();
    const log = (line: string): void => void process.stderr.write(`serve-reward: ${line}\n`);
    const ready = await buildJudge({ ...cfg, concurrency, endpointConcurrency: perJudge, onAttempt: (a) => {
      metrics.attempt(a);
      if (a.outcome !== "ok") log(`judge ${a.url}: ${a.outcome === "retry" ? "retryable" : "fatal"} error: ${a.error}`);
    } }, true, "serve-reward");
    for (const line of ready.probe) log(line);
    if (cfg.urls.length === 0) log("no --judge-url: serving the offline synthetic judge (meaningful for the built-in benchmark's images only)");
    const templates = cfg.urls.length > 0 ? loadTemplates(cfg.promptDir ?? DEFAULT_PROMPT_DIR) : null;
    const scorer = new RewardScorer(ready.judge, { returns, wDp, onFailure: (count, reasons) => {
      metrics.judgementsFailed(count);
      log(`${count} judgement${count === 1 ? "" : "s"} failed after their retries: ${reasons.join("; ")}`);
    } });
    const describe = {
      returns,
      wDp,
      routes: { flowFactoryPointwise: "POST /compute (or /pointwise/compute)", flowFactoryGroupwise: "POST /groupwise/compute", editR1: modes.map((m) => `POST /mode/${m}`) },
      maxBodyBytes,
      auth: token === null ? "none" : "bearer",
      judge: { ...ready.describe, concurrency, endpointConcurrency: perJudge, timeoutMs: cfg.timeoutMs, maxAttempts: cfg.maxAttempts, cache: cfg.cacheFile },
      ...(templates ? { prompts: { dp: templates.dp, pf: templates.pf } } : {}),
      versions: versions(),
    };
    const service = new RewardService({ host: o.host, port, maxBodyBytes, token, editR1Modes: modes, describe }, scorer, metrics, log);
    let url: string;
    try {
      url = await service.listen();
    } catch (err) {
      await scorer.close();
      throw new UserError(`--host ${o.host} --port ${port}: cannot listen (${err instanceof Error ? err.message : String(err)})`, 1);
    }
    process.stdout.write(`serve-reward: ${url} returns ${returns}; Flow-Factory server_url ${url} (pointwise) or ${url}/groupwise; Edit-R1 REWARD_SERVER ${url.replace(/^http:\/\//, "")} (/mode/${modes.join(", /mode/")})\n`);
    const signal = await new Promise<NodeJS.Signals>((done) => {
      process.once("SIGINT", () => done("SIGINT"));
      process.once("SIGTERM", () => done("SIGTERM"));
    });
    log(`${signal}: finishing the requests in flight, then stopping`);
    await service.close();
    if (signal === "SIGINT") throw new UserError("serve-reward: stopped by SIGINT", 130);
  });
}
