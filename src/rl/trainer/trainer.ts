/**
 * The RL trainer (DESIGN §2). It never names an algorithm: it asks the resolved recipe (src/rl/recipe.ts)
 * what to sample with, what to forward, how to turn rewards into loss inputs, which groups to skip and
 * what to do after a step. One epoch reads as its loop below:
 *   groups:   a seeded permutation of the train records (those the recipe's group filter excludes
 *             skipped), `groupsPerEpoch` of them, G samples per group, keyed by sample id;
 *   rollout:  G images per group (rollout-epoch.ts), judged batch by batch while the next is sampled,
 *             on the config's forward engine (model/forward.ts, given the policy's LoRA; it also runs
 *             the update's no-gradient forwards);
 *   judge:    wait for what is left of the judging;
 *   signal:   rewards → combined rewards → the recipe's per-sample signal, masked (signal.ts);
 *   update:   the epoch's optimizer steps (update.ts, micro-batches in batch.ts);
 *   after:    old policy ← EMA(θ) once per epoch; metrics line; groups dump every few epochs;
 *             checkpoint every few epochs.
 * Randomness comes from one host Rng whose state is saved at epoch boundaries, so a resumed run replays an
 * interrupted epoch exactly, and the judge cache answers what was already judged.
 */
import { SingleBar } from "cli-progress";
import { initJax } from "../../runtime/jax.js";
import { Rng } from "../../runtime/rng.js";
import type { AdamWHyper } from "../../runtime/adamw.js";
import { fromFloat32 } from "../../runtime/refs.js";
import { UserError } from "../../runtime/errors.js";
import { timeGrid, type ShiftSpec } from "../../flow/index.js";
import { buildModel, DEFAULT_FORWARD_ENGINE, openForward, type ModelConfig } from "../../model/index.js";
import type { RewardModel, RewardScores } from "../../reward/index.js";
import type { DatasetRecord } from "../../data/index.js";
import type { ResolvedAlgorithm } from "../recipe.js";
import { EvalEma, OldPolicy } from "../ema.js";
import type { TrainConfig } from "./config.js";
import { prepareRecords, type Dims } from "./epoch-data.js";
import { buildPrograms } from "./programs.js";
import { rolloutEpoch } from "./rollout-epoch.js";
import { epochSignal } from "./signal.js";
import { updateEpoch, type DeviceState } from "./update.js";
import { appendMetrics, commitCheckpoint, openRunFolder, truncateMetrics, type RunFolderStatus } from "../../runtime/run-folder.js";
import { versions } from "../../runtime/versions.js";
import { paths, RUN_KIND, type RunConfigFile } from "./run-folder.js";
import { loadRunState, saveRunState, type RunState } from "./run-state.js";
import { epochMetrics, type EpochMetrics, type ValidationPoint } from "./metrics.js";
import { writeGroupsDump } from "./groups-dump.js";

export interface TrainHooks {
  /** After an epoch's metrics line and its checkpoint (when one was due). */
  afterEpoch?(info: { epoch: number; step: number; metrics: EpochMetrics }): void | Promise<void>;
  /** After a checkpoint folder is complete, before `checkpoints/latest` points at it. */
  beforeCommit?(dir: string): void | Promise<void>;
}

export interface TrainOptions {
  out: string;
  config: TrainConfig;
  algorithm: ResolvedAlgorithm;
  /** The SFT checkpoint: its model config and base weights (LoRA is trained on top of them). */
  init: { config: ModelConfig; base: Float32Array; path: string };
  /** Train split records. */
  records: DatasetRecord[];
  dataDir: string;
  reward: RewardModel;
  /** Recorded in config.json (never secrets). */
  judgeInfo?: Record<string, unknown>;
  /** From `inspectTrainRun`. */
  run: RunFolderStatus;
  /** Show progress bars (only on a TTY). */
  progress?: boolean;
  /** Polled between rollout batches and at epoch boundaries (SIGINT). */
  shouldStop?: () => boolean;
  hooks?: TrainHooks;
  /**
   * Scores a LoRA (the eval EMA) on the validation subset; required when the config has `validation`.
   * The caller owns how (eval's sampler and judge): the trainer only says when and with which weights.
   */
  validate?: (lora: Float32Array, epochs: number) => Promise<ValidationPoint>;
  log?: (line: string) => void;
}

export interface TrainResult {
  status: "completed" | "interrupted" | "nan-stop";
  /** Epochs completed. */
  epochs: number;
  step: number;
  checkpoint: string | null;
}

function shiftOf(c: TrainConfig, tokens: number): ShiftSpec {
  const s = c.sampling.shift;
  return s === "tokens" ? { targetTokens: tokens } : s === "none" ? "none" : { mu: s.mu };
}

const now = (): number => performance.now() / 1000;

export async function train(o: TrainOptions): Promise<TrainResult> {
  await initJax();
  const { config, algorithm } = o;
  const model = buildModel(o.init.config, config.lora);
  const mc = model.config;
  const dims: Dims = { N: model.tokensPerImage, P: model.tokenDim, NP: model.tokensPerImage * model.tokenDim, W: mc.textMaxWords };
  const G = config.groupSize;
  const grid = timeGrid(config.sampling.steps, shiftOf(config, dims.N));
  const gridTimes = grid.slice(0, config.sampling.steps);
  const rollout = algorithm.rollout;
  const hp: AdamWHyper = { ...config.optimizer };
  const log = o.log ?? (() => undefined);
  const validate = config.validation ? o.validate : undefined;
  if (config.validation && !validate) throw new Error("train: the config asks for a validation curve but no validate function was given");
  const validationDue = (epochs: number): boolean => !!config.validation && (epochs % config.validation.every === 0 || epochs === config.epochs);

  // ---- inputs, decoded once
  const prepared = await prepareRecords(o.records, mc, o.reward.needsTarget);
  if (prepared.length === 0) throw new UserError(`${o.dataDir}: the train split has no records`, 1);

  // ---- the forward of the rollouts and no-gradient forwards: loaded before anything is written (a missing engine is one line)
  const forward = await openForward(config.sampling.engine ?? DEFAULT_FORWARD_ENGINE, model);

  // ---- state: fresh or resumed
  let state: RunState;
  if (o.run.resumeFrom) {
    state = (await loadRunState(o.run.resumeFrom, mc, config, algorithm.groupFilter)).state;
    log(`resuming from ${o.run.resumeFrom} (epoch ${state.epoch}, step ${state.step})`);
  } else {
    const theta = model.initLora(config.seed);
    state = {
      epoch: 0,
      step: 0,
      theta,
      m: new Float32Array(theta.length),
      v: new Float32Array(theta.length),
      old: OldPolicy.init(theta, algorithm.oldDecay),
      ema: EvalEma.init(theta, config.evalEma.cap, config.evalEma.interval),
      refLora: null,
      ban: algorithm.groupFilter?.create() ?? null,
      rng: new Rng(config.seed).getState(),
      nanStreak: 0,
      nanSteps: 0,
    };
  }
  const runFile: RunConfigFile = {
    kind: RUN_KIND,
    version: 1,
    config,
    seed: config.seed,
    inputs: { data: o.dataDir, init: o.init.path },
    judge: o.judgeInfo ?? {},
    reward: o.reward.name,
    versions: versions(),
    created_at: new Date().toISOString(),
  };
  await openRunFolder(o.out, runFile, o.run);
  await truncateMetrics(o.out, (line) => (line.epoch as number) < state.epoch); // an interrupted epoch is replayed

  // ---- device
  const sde = rollout.kind === "sde" ? { kind: rollout.sampler, noiseLevel: rollout.noiseLevel } : null;
  const programs = buildPrograms(model, algorithm.loss, hp, sde, algorithm.needs.referenceIsOld);
  const dev: DeviceState = { base: fromFloat32(o.init.base), theta: fromFloat32(state.theta), m: fromFloat32(state.m), v: fromFloat32(state.v) };
  forward.setBase(o.init.base);

  const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: "epoch {value}/{total} |{bar}| {phase} {info}", stream: process.stderr, hideCursor: true }) : null;
  bar?.start(config.epochs, state.epoch, { phase: "start", info: "" });

  let checkpointedEpoch = o.run.resumeFrom ? state.epoch : -1;
  let lastCheckpoint: string | null = o.run.resumeFrom;
  const t0 = now();

  const checkpoint = async (): Promise<void> => {
    if (checkpointedEpoch === state.epoch) return;
    state.m = Float32Array.from(await dev.m.ref.data());
    state.v = Float32Array.from(await dev.v.ref.data());
    const dir = paths.checkpoint(o.out, state.step);
    await saveRunState(dir, { config: mc, lora: config.lora, base: o.init.base }, config, state);
    await o.hooks?.beforeCommit?.(dir);
    await commitCheckpoint(o.out, state.step, config.keepCheckpoints);
    checkpointedEpoch = state.epoch;
    lastCheckpoint = dir;
  };

  const finish = async (status: TrainResult["status"]): Promise<TrainResult> => {
    bar?.stop();
    programs.dispose();
    for (const a of Object.values(dev)) a.dispose();
    await forward.release();
    return { status, epochs: state.epoch, step: state.step, checkpoint: lastCheckpoint };
  };

  while (state.epoch < config.epochs) {
    if (o.shouldStop?.()) {
      await checkpoint();
      return finish("interrupted");
    }
    const epoch = state.epoch;
    const rng = new Rng(0);
    rng.setState(state.rng);
    const seconds = { rollout: 0, judge: 0, update: 0 };

    // ---- groups
    const eligible = prepared.map((_, i) => i).filter((i) => !state.ban?.excludes(prepared[i]!.record.id));
    if (eligible.length === 0) throw new UserError(`every train group is excluded by the ${algorithm.name} group filter; nothing left to train on`, 1);
    const perm = rng.permutation(eligible.length);
    const chosen = perm.slice(0, Math.min(config.groupsPerEpoch, eligible.length)).map((k) => eligible[k]!);
    const n = chosen.length * G;
    const groupOf = (i: number): number => chosen[Math.floor(i / G)]!;
    const groupKeys = Array.from({ length: n }, (_, i) => prepared[groupOf(i)]!.record.id);

    // ---- rollouts (judging overlaps the next batch)
    bar?.update(epoch, { phase: "rollout", info: "" });
    const tr = now();
    const samplerLora = rollout.kind === "sde" ? state.theta : state.old.vector; // SDE rollouts sample from θ = θ_old
    forward.setLora(samplerLora); // neither vector changes before the update
    const rolled = await rolloutEpoch({
      forward, rollout, grid, solver: config.sampling.solver, batchSize: config.rolloutBatch,
      mc, dims, prepared, groupOf, count: n, reward: o.reward, rng, ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
    });
    const { samples } = rolled;
    seconds.rollout = now() - tr;
    if (rolled.abandoned) {
      await Promise.allSettled(rolled.pending);
      await checkpoint();
      return finish("interrupted");
    }

    // ---- judge (what is left after the overlap)
    bar?.update(epoch, { phase: "judge", info: "" });
    const tj = now();
    const scores: RewardScores[] = await Promise.all(rolled.pending);
    const dp = scores.flatMap((s) => s.dp);
    const pf = scores.flatMap((s) => s.pf);
    seconds.judge = now() - tj;

    // ---- signal
    const signal = epochSignal(algorithm, dp, pf, groupKeys, config.reward, state.ban);

    // ---- update
    bar?.update(epoch, { phase: "update", info: "" });
    const tu = now();
    const steps = await updateEpoch({ config, algorithm, hp, programs, dev, state, rng, dims, samples, signal, prepared, gridTimes, forward });
    seconds.update = now() - tu;
    state.old.update(state.theta, state.step); // θ_old ← d·θ_old + (1 − d)·θ, once per epoch
    state.epoch = epoch + 1;
    state.rng = rng.getState();

    // ---- validation point, metrics, groups dump, checkpoint
    const val = validate && validationDue(state.epoch) ? await validate(state.ema.vector, state.epoch) : null;
    const metrics = epochMetrics({ epoch, step: state.step, timeS: now() - t0, dp, pf, groupKeys, signal, steps, seconds, rewardRecipe: config.reward.recipe, bannedGroups: state.ban?.excludedCount ?? 0, nanSteps: state.nanSteps });
    if (val) metrics.val = val;
    await appendMetrics(o.out, metrics);
    if (config.groupsEvery > 0 && (epoch + 1) % config.groupsEvery === 0) {
      await writeGroupsDump(o.out, epoch, mc, chosen.map((gi) => prepared[gi]!), G, samples, dp, pf, signal.shownAdv);
    }
    bar?.update(state.epoch, { phase: "done", info: `reward ${metrics.reward.s_mean?.toFixed(4) ?? "nan"}` });
    log(`epoch ${epoch}: reward dp ${fmt(metrics.reward.dp_mean)} pf ${fmt(metrics.reward.pf_mean)} | loss ${fmt(metrics.loss)} | ${metrics.seconds.rollout.toFixed(1)}s rollout, ${metrics.seconds.judge.toFixed(1)}s judge, ${metrics.seconds.update.toFixed(1)}s update`);
    if (val) log(`epoch ${epoch}: val (${val.n} records, ${val.seconds.toFixed(1)}s) dp ${fmt(val.means.judge_dp ?? null)} pf ${fmt(val.means.judge_pf ?? null)} mse ${fmt(val.means.mse ?? null)}`);

    if (state.nanStreak >= config.maxNanSteps) {
      log(`stopping: ${state.nanStreak} optimizer steps in a row had a NaN loss; the last good checkpoint is kept`);
      await o.hooks?.afterEpoch?.({ epoch, step: state.step, metrics });
      return finish("nan-stop");
    }
    const stopping = o.shouldStop?.() ?? false;
    if (stopping || state.epoch % config.checkpointEvery === 0 || state.epoch === config.epochs || val) await checkpoint();
    await o.hooks?.afterEpoch?.({ epoch, step: state.step, metrics });
    if (stopping) return finish("interrupted");
  }
  await checkpoint();
  return finish("completed");
}

const fmt = (x: number | null): string => (x === null ? "nan" : x.toFixed(4));
