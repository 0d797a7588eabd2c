/**
 * The RL trainer (DESIGN §2). One epoch:
 *   groups:   a seeded permutation of the train records (banned ones skipped), `groupsPerEpoch` of them,
 *             each a group keyed by its sample id, G samples per group;
 *   rollout:  G images per group from the OLD policy (ODE; SDE + log-probs for Flow-GRPO, from θ = θ_old),
 *             in fixed-size batches through one jitted velocity program; each batch goes to the judge as
 *             soon as it is sampled, so judging overlaps the next batch;
 *   signal:   rewards → masked advantages / labels / pairs (signal.ts);
 *   update:   forward-process rows (sample × sampler timestep, `int(steps·fraction)` per sample, permuted
 *             per sample with fresh noise per row, or shared by a group: row-noise.ts) or the recorded SDE
 *             steps (Flow-GRPO); the rows are split into
 *             `stepsPerEpoch` optimizer steps, each accumulating micro-batch gradients in one jit and ending
 *             in one AdamW jit; a NaN loss or gradient skips the step (counted);
 *   after:    eval EMA after every optimizer step; old policy ← EMA(θ) once per epoch; metrics line;
 *             groups dump every few epochs; checkpoint every few epochs.
 * Randomness comes from one host Rng whose state is saved at epoch boundaries, so a resumed run replays an
 * interrupted epoch exactly, and the judge cache answers what was already judged.
 */
import { SingleBar } from "cli-progress";
import { initJax, np, type JaxArray } from "../../runtime/jax.js";
import { Rng } from "../../runtime/rng.js";
import { adamwStepScalars, type AdamWHyper } from "../../runtime/adamw.js";
import { fromFloat32 } from "../../runtime/refs.js";
import { UserError } from "../../runtime/errors.js";
import { noisify, velocityTarget, timeGrid, type ShiftSpec } from "../../flow/index.js";
import { buildModel, imagesToTokens, tokenize, tokensToImages, type ModelConfig } from "../../model/index.js";
import { rgbImage, type Image, type RewardItem, type RewardModel, type RewardScores } from "../../reward/index.js";
import { readImage, type DatasetRecord } from "../../data/index.js";
import type { ResolvedAlgorithm } from "../algorithms.js";
import { EvalEma, OldPolicy, type DecayType } from "../ema.js";
import { GroupBanTracker, type UniworldV2Config } from "../uniworld-v2.js";
import type { FlowGrpoConfig } from "../flow-grpo.js";
import type { FlowDpoConfig } from "../flow-dpo.js";
import type { NaspoConfig } from "../naspo.js";
import type { TrainConfig } from "./config.js";
import { buildPrograms, type Programs, type SdeSpec } from "./programs.js";
import { rolloutOde, rolloutSde, type StepRecord } from "./rollout.js";
import { epochSignal, type EpochSignal } from "./signal.js";
import { appendMetrics, commitCheckpoint, openRunFolder, paths, truncateMetrics, versions, type RunConfigFile, type RunFolderStatus } from "./run-folder.js";
import { loadRunState, saveRunState, type RunState } from "./run-state.js";
import { epochMetrics, type EpochMetrics, type StepStats } from "./metrics.js";
import { writeGroupsDump } from "./groups-dump.js";
import { planRowNoise } from "./row-noise.js";

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
  /** From `inspectRunFolder`. */
  run: RunFolderStatus;
  /** Show progress bars (only on a TTY). */
  progress?: boolean;
  /** Polled between rollout batches and at epoch boundaries (SIGINT). */
  shouldStop?: () => boolean;
  hooks?: TrainHooks;
  log?: (line: string) => void;
}

export interface TrainResult {
  status: "completed" | "interrupted" | "nan-stop";
  /** Epochs completed. */
  epochs: number;
  step: number;
  checkpoint: string | null;
}

interface Prepared {
  record: DatasetRecord;
  refPixels: Float32Array;
  refTokens: Float32Array;
  text: Int32Array;
  target: Float32Array | null;
}

interface Sample {
  group: number;
  x0: Float32Array;
  steps: StepRecord[] | null;
  image: Image;
}

/** Arrays that live on the device for the whole run. */
interface DeviceState {
  base: JaxArray;
  theta: JaxArray;
  m: JaxArray;
  v: JaxArray;
}

function shiftOf(c: TrainConfig, tokens: number): ShiftSpec {
  const s = c.sampling.shift;
  return s === "tokens" ? { targetTokens: tokens } : s === "none" ? "none" : { mu: s.mu };
}

function decayTypeOf(algo: ResolvedAlgorithm): DecayType {
  const d = (algo.config as { decayType?: DecayType }).decayType;
  return d ?? 0; // algorithms without an old policy sample from θ itself
}

const now = (): number => performance.now() / 1000;

export async function train(o: TrainOptions): Promise<TrainResult> {
  await initJax();
  const { config, algorithm } = o;
  const model = buildModel(o.init.config, config.lora);
  const mc = model.config;
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const NP = N * P;
  const W = mc.textMaxWords;
  const S = mc.imageSize;
  const G = config.groupSize;
  const grid = timeGrid(config.sampling.steps, shiftOf(config, N));
  const gridTimes = grid.slice(0, config.sampling.steps);
  const isSde = algorithm.kind === "sde-steps";
  const grpo = isSde ? (algorithm.config as FlowGrpoConfig) : null;
  const sde: SdeSpec | null = grpo ? { kind: grpo.sdeType === "flow" ? "flow-sde" : "cps", noiseLevel: grpo.noiseLevel } : null;
  const referenceIsOld = algorithm.name === "naspo" && (algorithm.config as NaspoConfig).reference === "old-policy";
  const hp: AdamWHyper = { ...config.optimizer };
  const log = o.log ?? (() => undefined);
  const needsTarget = !["ours", "dual-pd"].includes(config.reward.variant);

  // ---- inputs, decoded once
  const prepared: Prepared[] = [];
  for (const r of o.records) {
    const refPixels = await readImage(r.referenceImage, S);
    prepared.push({
      record: r,
      refPixels,
      refTokens: imagesToTokens(refPixels, 1, mc),
      text: tokenize(r.instruction, mc),
      target: needsTarget && r.targetImage ? await readImage(r.targetImage, S) : null,
    });
  }
  if (prepared.length === 0) throw new UserError(`${o.dataDir}: the train split has no records`, 1);
  const refImages = prepared.map((p) => rgbImage(p.refPixels, S, S));

  // ---- state: fresh or resumed
  let state: RunState;
  if (o.run.resumeFrom) {
    state = (await loadRunState(o.run.resumeFrom, mc, config)).state;
    log(`resuming from ${o.run.resumeFrom} (epoch ${state.epoch}, step ${state.step})`);
  } else {
    const theta = model.initLora(config.seed);
    const uw = algorithm.name === "uniworld-v2" ? (algorithm.config as UniworldV2Config) : null;
    state = {
      epoch: 0,
      step: 0,
      theta,
      m: new Float32Array(theta.length),
      v: new Float32Array(theta.length),
      old: OldPolicy.init(theta, decayTypeOf(algorithm)),
      ema: EvalEma.init(theta, config.evalEma.cap, config.evalEma.interval),
      refLora: null,
      ban: uw ? new GroupBanTracker(uw.stdThreshold, uw.meanThreshold) : null,
      rng: new Rng(config.seed).getState(),
      nanStreak: 0,
      nanSteps: 0,
    };
  }
  const runFile: RunConfigFile = {
    kind: "portraitrl-train",
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
  await truncateMetrics(o.out, state.epoch);

  // ---- device
  const programs = buildPrograms(model, algorithm.loss, hp, sde, referenceIsOld);
  const dev: DeviceState = { base: fromFloat32(o.init.base), theta: fromFloat32(state.theta), m: fromFloat32(state.m), v: fromFloat32(state.v) };
  const refLoraDevice = (): JaxArray => (state.refLora ? fromFloat32(state.refLora) : np.zeros([model.loraSize], { dtype: np.float32 }));
  const dpo = algorithm.name === "flow-dpo" ? (algorithm.config as FlowDpoConfig) : null;
  const banGroups = algorithm.name === "uniworld-v2" && (algorithm.config as UniworldV2Config).banGroups;

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
    const eligible = prepared.map((_, i) => i).filter((i) => !(banGroups && state.ban?.isBanned(prepared[i]!.record.id)));
    if (eligible.length === 0) throw new UserError("every train group is banned (uniworld-v2 low-variance rule); nothing left to train on", 1);
    const perm = rng.permutation(eligible.length);
    const chosen = perm.slice(0, Math.min(config.groupsPerEpoch, eligible.length)).map((k) => eligible[k]!);
    const n = chosen.length * G;
    const groupOf = (i: number): number => chosen[Math.floor(i / G)]!;
    const groupKeys = Array.from({ length: n }, (_, i) => prepared[groupOf(i)]!.record.id);

    // ---- rollouts (judging overlaps the next batch)
    bar?.update(epoch, { phase: "rollout", info: "" });
    const tr = now();
    const samples: Sample[] = [];
    const pending: Promise<RewardScores>[] = [];
    const RB = config.rolloutBatch;
    const sampler = isSde ? dev.theta : fromFloat32(state.old.vector);
    const window = grpo && grpo.sdeWindowSize > 0 ? sdeWindow(grpo, config.sampling.steps, rng) : undefined;
    let abandoned = false;
    for (let b0 = 0; b0 < n; b0 += RB) {
      const idx = Array.from({ length: RB }, (_, k) => Math.min(b0 + k, n - 1));
      const ref = new Float32Array(RB * NP);
      const text = new Int32Array(RB * W);
      idx.forEach((i, k) => {
        ref.set(prepared[groupOf(i)]!.refTokens, k * NP);
        text.set(prepared[groupOf(i)]!.text, k * W);
      });
      const batch = { B: RB, ref, text, x1: rng.normalArray(RB * NP) };
      const d = { programs, base: dev.base, lora: sampler, tokenShape: [N, P] as [number, number], textWords: W };
      const res = isSde && grpo && sde
        ? await rolloutSde(d, batch, grid, { kind: sde.kind, noiseLevel: sde.noiseLevel, ...(window ? { window } : {}), key: rng.jaxKey() })
        : await rolloutOde(d, batch, grid, config.sampling.solver);
      const real = Math.min(RB, n - b0);
      const items: RewardItem[] = [];
      for (let k = 0; k < real; k++) {
        const i = b0 + k;
        const x0 = res.x0.slice(k * NP, (k + 1) * NP);
        const image = rgbImage(tokensToImages(x0, 1, mc), S, S);
        samples.push({ group: groupOf(i), x0, steps: res.steps ? res.steps[k]! : null, image });
        const p = prepared[groupOf(i)]!;
        items.push({ groupKey: p.record.id, reference: refImages[groupOf(i)]!, instruction: p.record.instruction, generated: image, ...(p.target ? { target: rgbImage(p.target, S, S) } : {}) });
      }
      pending.push(o.reward.score(items));
      if (o.shouldStop?.()) {
        abandoned = true;
        break;
      }
    }
    if (!isSde) sampler.dispose();
    seconds.rollout = now() - tr;
    if (abandoned) {
      await Promise.allSettled(pending);
      await checkpoint();
      return finish("interrupted");
    }

    // ---- judge (what is left after the overlap)
    bar?.update(epoch, { phase: "judge", info: "" });
    const tj = now();
    const scores = await Promise.all(pending);
    const dp = scores.flatMap((s) => s.dp);
    const pf = scores.flatMap((s) => s.pf);
    seconds.judge = now() - tj;
    const signal = epochSignal(algorithm, dp, pf, groupKeys, config.reward.wDp, state.ban);

    // ---- update
    bar?.update(epoch, { phase: "update", info: "" });
    const tu = now();
    const steps = await updateEpoch({ o, programs, dev, state, rng, samples, signal, prepared, gridTimes, NP, N, P, W, refLoraDevice, dpo, hp });
    seconds.update = now() - tu;
    state.old.update(state.theta, state.step); // θ_old ← d·θ_old + (1 − d)·θ, once per epoch
    state.epoch = epoch + 1;
    state.rng = rng.getState();

    const metrics = epochMetrics({ epoch, step: state.step, timeS: now() - t0, dp, pf, groupKeys, signal, steps, seconds, wDp: config.reward.wDp, bannedGroups: state.ban?.bannedCount ?? 0, nanSteps: state.nanSteps });
    await appendMetrics(o.out, metrics as unknown as Record<string, unknown>);
    if (config.groupsEvery > 0 && (epoch + 1) % config.groupsEvery === 0) {
      await writeGroupsDump(o.out, epoch, mc, chosen.map((gi) => prepared[gi]!), G, samples, dp, pf, signal.shownAdv);
    }
    bar?.update(state.epoch, { phase: "done", info: `reward ${metrics.reward.s_mean?.toFixed(4) ?? "nan"}` });
    log(`epoch ${epoch}: reward dp ${fmt(metrics.reward.dp_mean)} pf ${fmt(metrics.reward.pf_mean)} | loss ${fmt(metrics.loss)} | ${metrics.seconds.rollout.toFixed(1)}s rollout, ${metrics.seconds.judge.toFixed(1)}s judge, ${metrics.seconds.update.toFixed(1)}s update`);

    if (state.nanStreak >= config.maxNanSteps) {
      log(`stopping: ${state.nanStreak} optimizer steps in a row had a NaN loss; the last good checkpoint is kept`);
      await o.hooks?.afterEpoch?.({ epoch, step: state.step, metrics });
      return finish("nan-stop");
    }
    const stopping = o.shouldStop?.() ?? false;
    if (stopping || state.epoch % config.checkpointEvery === 0 || state.epoch === config.epochs) await checkpoint();
    await o.hooks?.afterEpoch?.({ epoch, step: state.step, metrics });
    if (stopping) return finish("interrupted");
  }
  await checkpoint();
  return finish("completed");
}

const fmt = (x: number | null): string => (x === null ? "nan" : x.toFixed(4));

/** Flow-GRPO-Fast: a window of `size` SDE steps starting uniformly inside `sdeWindowRange`. */
function sdeWindow(c: FlowGrpoConfig, steps: number, rng: Rng): { start: number; size: number } {
  const size = Math.min(c.sdeWindowSize, steps);
  const lo = Math.floor(c.sdeWindowRange[0] * steps);
  const hi = Math.max(lo, Math.min(Math.floor(c.sdeWindowRange[1] * steps), steps - size));
  return { start: lo + rng.int(hi - lo + 1), size };
}

interface UpdateContext {
  o: TrainOptions;
  programs: Programs;
  dev: DeviceState;
  state: RunState;
  rng: Rng;
  samples: Sample[];
  signal: EpochSignal;
  prepared: Prepared[];
  gridTimes: number[];
  NP: number;
  N: number;
  P: number;
  W: number;
  refLoraDevice: () => JaxArray;
  dpo: FlowDpoConfig | null;
  hp: AdamWHyper;
}

/** A row of an optimizer step: a unit (sample or pair) at one timestep / recorded SDE step. */
interface Row {
  unit: number;
  t: number;
  /** Which of the unit's training timesteps (forward-process rows). */
  j?: number;
  step?: StepRecord;
}

/** The epoch's optimizer steps; returns their statistics. */
async function updateEpoch(c: UpdateContext): Promise<StepStats[]> {
  const { o, programs, dev, state, rng, samples, signal, gridTimes, NP, N, P, W } = c;
  const { config, algorithm } = o;
  const inputs = algorithm.loss.inputs;
  const needsRef = algorithm.needs.ref;
  const fraction = config.sampling.timestepFraction;
  // Units: valid samples, or preference pairs.
  const units: number[] = inputs === "pairs" ? signal.pairs.map((_, k) => k) : samples.map((_, i) => i).filter((i) => signal.mask[i] === 1);
  const noiseMode = inputs === "samples" || inputs === "labelled" ? config.sampling.trainNoise : "per-row";
  const plan = planRowNoise(units, (u) => samples[u]!.group, gridTimes, fraction, noiseMode, rng, NP);
  const stepCount = config.stepsPerEpoch;
  const out: StepStats[] = [];
  const old = algorithm.needs.old ? fromFloat32(state.old.vector) : null;
  const refLora = needsRef ? c.refLoraDevice() : null;
  const MB = config.microBatch;
  const shape = [MB, N, P];

  for (let s = 0; s < stepCount; s++) {
    const chunk = units.slice(Math.floor((s * units.length) / stepCount), Math.floor(((s + 1) * units.length) / stepCount));
    if (chunk.length === 0) continue;
    const rows: Row[] = [];
    if (inputs === "sde-steps") {
      const windowed = ((algorithm.config as FlowGrpoConfig).sdeWindowSize ?? 0) > 0;
      const trained = (st: StepRecord[]): StepRecord[] => (windowed ? st : st.slice(0, Math.max(1, Math.floor(st.length * fraction))));
      for (const u of chunk) for (const st of trained(samples[u]!.steps ?? [])) rows.push({ unit: u, t: st.t, step: st });
    } else {
      for (let j = 0; j < plan.K; j++) for (const u of chunk) rows.push({ unit: u, t: plan.times(u)[j]!, j });
    }
    const w = 1 / rows.length;
    let acc = np.zeros([state.theta.length], { dtype: np.float32 });
    const statsArrays: JaxArray[] = [];
    const realRows: number[] = [];
    for (let r0 = 0; r0 < rows.length; r0 += MB) {
      const mb = Array.from({ length: MB }, (_, k) => rows[Math.min(r0 + k, rows.length - 1)]!);
      const real = Math.min(MB, rows.length - r0);
      realRows.push(real);
      const weight = np.array(Float32Array.from(mb, (_, k) => (k < real ? w : 0)));
      const t = np.array(Float32Array.from(mb, (r) => r.t));
      const sampleOf = (r: Row): number => (inputs === "pairs" ? signal.pairs[r.unit]!.winner : r.unit);
      const condRef = new Float32Array(MB * NP);
      const condText = new Int32Array(MB * W);
      mb.forEach((r, k) => {
        const p = c.prepared[samples[sampleOf(r)]!.group]!;
        condRef.set(p.refTokens, k * NP);
        condText.set(p.text, k * W);
      });
      const ref = np.array(condRef, { shape });
      const text = np.array(condText, { shape: [MB, W], dtype: np.int32 });
      const gather = (f: (r: Row) => Float32Array): JaxArray => {
        const buf = new Float32Array(MB * NP);
        mb.forEach((r, k) => buf.set(f(r), k * NP));
        return np.array(buf, { shape });
      };
      const forward = async (lora: JaxArray, xt: JaxArray, tt: JaxArray): Promise<JaxArray> => {
        const y = programs.velocity(dev.base.ref, lora.ref, xt, tt, ref.ref, text.ref);
        await y.blockUntilReady();
        return y;
      };
      let batch: JaxArray[];
      if (inputs === "sde-steps") {
        const xt = gather((r) => r.step!.xt);
        const xNext = gather((r) => r.step!.xNext);
        const tNext = np.array(Float32Array.from(mb, (r) => r.step!.tNext));
        const logpOld = np.array(Float32Array.from(mb, (r) => r.step!.logp));
        const adv = np.array(Float32Array.from(mb, (r) => signal.value[r.unit]!));
        const vRef = refLora ? await forward(refLora, xt.ref, t.ref) : null;
        batch = [xt, xNext, t, tNext, ref, text, logpOld, adv, weight, ...(vRef ? [vRef] : [])];
      } else if (inputs === "pairs") {
        const x0W = gather((r) => samples[signal.pairs[r.unit]!.winner]!.x0);
        const x0L = gather((r) => samples[signal.pairs[r.unit]!.loser]!.x0);
        const x1 = np.array(rng.normalArray(MB * NP), { shape }); // fresh noise, shared by both sides
        const xtW = noisify(x0W.ref, x1.ref, t.ref); // (1)
        const xtL = noisify(x0L.ref, x1.ref, t.ref); // (1)
        const vW = velocityTarget(x0W, x1.ref); // (2)
        const vL = velocityTarget(x0L, x1); // (2)
        const vRefW = await forward(refLora!, xtW.ref, t.ref);
        const vRefL = await forward(refLora!, xtL.ref, t.ref);
        batch = [xtW, xtL, t, ref, text, vW, vL, weight, vRefW, vRefL];
      } else {
        const x0 = gather((r) => samples[r.unit]!.x0);
        const x1 = noiseMode === "per-group" ? gather((r) => plan.noise(r.unit, r.j!)!) : np.array(rng.normalArray(MB * NP), { shape }); // ε of each row
        const xt = noisify(x0.ref, x1.ref, t.ref); // (1)
        const v = velocityTarget(x0, x1); // (2)
        const value = np.array(Float32Array.from(mb, (r) => signal.value[r.unit]!));
        if (inputs === "labelled") {
          const vRef = await forward(refLora!, xt.ref, t.ref);
          batch = [xt, t, ref, text, v, value, weight, vRef];
        } else {
          const vOld = await forward(old!, xt.ref, t.ref);
          const vRef = refLora ? await forward(refLora, xt.ref, t.ref) : null;
          batch = [xt, t, ref, text, v, vOld, value, weight, ...(vRef ? [vRef] : [])];
        }
      }
      // One program at a time: a wasm heap never shrinks, so concurrent programs would raise its peak for good.
      for (const a of batch) await a.blockUntilReady();
      const [stats, next] = programs.accumulate(dev.theta.ref, acc, dev.base.ref, batch);
      await next.blockUntilReady();
      acc = next;
      statsArrays.push(stats);
    }
    const stats: Float32Array[] = [];
    for (const a of statsArrays) stats.push(Float32Array.from(await a.data()));
    const layout = programs.layout();
    const loss = stats.reduce((a, st) => a + (st[0] as number), 0);
    const scalars: Record<string, number> = {};
    layout.scalars.forEach((k, j) => {
      scalars[k] = stats.reduce((a, st, i) => a + (st[1 + j] as number) * (realRows[i] as number), 0) / rows.length;
    });
    const rowStats: Record<string, number[]> = {};
    layout.rows.forEach((k, j) => {
      rowStats[k] = stats.flatMap((st, i) => Array.from(st.subarray(1 + layout.scalars.length + j * MB, 1 + layout.scalars.length + j * MB + (realRows[i] as number))));
    });
    let gradNorm = Number.NaN;
    let skipped = !Number.isFinite(loss);
    if (skipped) {
      acc.dispose();
    } else {
      const scal = fromFloat32(adamwStepScalars(c.hp, state.step + 1));
      const [p2, m2, v2, gn] = programs.adamw(dev.theta.ref, acc, dev.m.ref, dev.v.ref, scal);
      gradNorm = Number((await gn.data())[0]);
      if (Number.isFinite(gradNorm)) {
        dev.theta.dispose();
        dev.m.dispose();
        dev.v.dispose();
        dev.theta = p2;
        dev.m = m2;
        dev.v = v2;
        state.theta = Float32Array.from(await dev.theta.ref.data());
        state.ema.update(state.theta, state.step); // eval EMA after optimizer step k = step
        state.step += 1;
        if (c.dpo && c.dpo.refUpdateEvery > 0 && state.step % c.dpo.refUpdateEvery === 0) state.refLora = Float32Array.from(state.theta);
      } else {
        for (const a of [p2, m2, v2]) a.dispose();
        skipped = true;
      }
    }
    if (skipped) {
      state.nanStreak += 1;
      state.nanSteps += 1;
    } else {
      state.nanStreak = 0;
    }
    out.push({ loss, gradNorm, skipped, scalars, rows: rowStats });
  }
  old?.dispose();
  refLora?.dispose();
  return out;
}
