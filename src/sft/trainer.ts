/**
 * Cold-start SFT (DESIGN §9): flow matching (Eq. 1–2) on (reference, instruction, target) triplets,
 * the model trained from its random initialisation (or a checkpoint's weights: `init`) as ONE flat base vector through the runtime's
 * `makeTrainStep` (forward + backward + clipped AdamW in one jit), a linear lr warm-up, an optional
 * EMA of the weights, periodic atomic checkpoints that carry everything a resume needs (weights,
 * Adam moments and step, EMA, the run's seed and step — the batch randomness is a function of them,
 * batch.ts), and one metrics line per log interval. A resumed run reproduces an uninterrupted one
 * bit for bit. `shouldStop` (SIGINT) is polled after each step: the run checkpoints and returns.
 */
import { SingleBar } from "cli-progress";
import { buildModel, loadCheckpoint, saveCheckpoint, type ModelConfig } from "../model/index.js";
import type { DatasetRecord } from "../data/index.js";
import { initJax, np, type JaxArray } from "../runtime/jax.js";
import { UserError } from "../runtime/errors.js";
import { checkFitsInMemory } from "../runtime/memory-bound.js";
import { fromFloat32, peekFloat32 } from "../runtime/refs.js";
import { initTrainState, makeTrainStep, type TrainState } from "../runtime/train-step.js";
import { BatchMaker, streamSeed, type HostBatch } from "./batch.js";
import { learningRate, sftModelConfig, type SftConfig } from "./config.js";
import { makeEma } from "./ema.js";
import { prepareExamples } from "./examples.js";
import { sftLoss } from "./loss.js";
import { appendMetrics, commitCheckpoint, openRunFolder, runPaths, truncateMetrics } from "../runtime/run-folder.js";
import { versions } from "../runtime/versions.js";
import { inspectSftRun, SFT_RUN_KIND, type SftRunFile } from "./run-folder.js";

/** What a checkpoint's state.json holds for SFT. */
export interface SftState {
  kind: typeof SFT_RUN_KIND;
  step: number;
  /** AdamW steps taken (bias correction). */
  adamT: number;
  seed: number;
  /** Training seconds so far (all sessions). */
  elapsedS: number;
  /** Sums over the open log interval (so a resumed run writes the same metrics lines). */
  window: { loss: number; gradNorm: number; n: number };
  config: SftConfig;
}

export interface SftStepInfo {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
}

export interface SftOptions {
  out: string;
  config: SftConfig;
  /** Train split records (validated). */
  records: readonly DatasetRecord[];
  dataDir: string;
  /** Start from these weights and this model config instead of a random initialisation (config.init records which). */
  init?: { config: ModelConfig; base: Float32Array };
  /** Show a progress bar (only drawn on a TTY). */
  progress?: boolean;
  /** Polled after every step; true stops the run after a checkpoint (SIGINT). */
  shouldStop?: (step: number) => boolean;
  /** Called after every step (tests, logging). */
  onStep?: (info: SftStepInfo) => void;
  log?: (line: string) => void;
}

export interface SftResult {
  status: "completed" | "interrupted";
  step: number;
  /** The newest checkpoint folder. */
  checkpoint: string;
  /** Mean loss of the last log interval. */
  loss: number;
}

function batchArrays(b: HostBatch, N: number, P: number, W: number): JaxArray[] {
  const shape = [b.B, N, P];
  return [
    np.array(b.x0, { shape }),
    np.array(b.x1, { shape }),
    np.array(b.t, { shape: [b.B] }),
    np.array(b.ref, { shape }),
    np.array(b.text, { shape: [b.B, W], dtype: np.int32 }),
    ...(b.w ? [np.array(b.w, { shape })] : []),
  ];
}

export async function runSft(o: SftOptions): Promise<SftResult> {
  const { config, out } = o;
  const log = o.log ?? (() => undefined);
  const modelConfig = o.init?.config ?? sftModelConfig(config, "sft config", o.records.map((r) => r.instruction));
  const model = buildModel(modelConfig);
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const W = modelConfig.textMaxWords;

  // ---- everything that can fail on bad input, before any work or any write
  checkFitsInMemory(`--batch ${config.batchSize}`, config.batchSize, "samples in one batch", (config.editWeight ? 4 : 3) * 4 * N * P, `its target, noise and reference tokens${config.editWeight ? " and edit weights" : ""}, float32`);
  const status = await inspectSftRun(out, config);
  const examples = await prepareExamples(o.records, modelConfig, config.resize);
  const resumed = status.resumeFrom ? await loadCheckpoint(status.resumeFrom, { expectConfig: modelConfig }) : null;
  const st = resumed?.state as SftState | undefined;
  if (resumed && (st?.kind !== SFT_RUN_KIND || !resumed.extra["adam.m"] || !resumed.extra["adam.v"])) {
    throw new UserError(`${status.resumeFrom}: not an SFT checkpoint (no SFT state or Adam moments)`, 1);
  }
  if (st && st.step > config.steps) throw new UserError(`--steps ${config.steps} is below the ${st.step} steps already taken in ${out}`, 2);

  await initJax();
  const runFile: SftRunFile = {
    kind: SFT_RUN_KIND,
    version: 1,
    config,
    seed: config.seed,
    model: modelConfig,
    inputs: { data: o.dataDir, train_records: examples.count },
    versions: versions(),
    created_at: new Date().toISOString(),
  };
  await openRunFolder(out, runFile, status);
  let step = st?.step ?? 0;
  await truncateMetrics(out, (line) => (line.step as number) <= step);
  if (resumed) log(`resuming ${out} from step ${step}`);

  const init = resumed?.base ?? o.init?.base ?? model.initBase(streamSeed(config.seed, "sft-init"));
  const state: TrainState = initTrainState(
    init,
    resumed ? { m: resumed.extra["adam.m"]!, v: resumed.extra["adam.v"]!, t: st!.adamT } : undefined,
  );
  const emaDecay = config.ema?.decay;
  const ema = emaDecay === undefined ? null : makeEma(emaDecay);
  let emaParams: JaxArray | null = ema ? fromFloat32(resumed?.extra["ema"] ?? init) : null;
  const trainer = makeTrainStep(sftLoss(model, config.editWeight !== undefined), { ...config.optimizer, clipNorm: config.optimizer.clipNorm > 0 ? config.optimizer.clipNorm : Infinity });
  const batches = new BatchMaker(examples, config, { N, P, W });

  let elapsed = st?.elapsedS ?? 0;
  let window = st?.window ?? { loss: 0, gradNorm: 0, n: 0 };
  let lastCheckpoint = status.resumeFrom ?? "";
  const checkpoint = async (): Promise<void> => {
    const dir = runPaths.checkpoint(out, step);
    const extra: Record<string, Float32Array> = {
      "adam.m": await peekFloat32(state.m),
      "adam.v": await peekFloat32(state.v),
    };
    if (emaParams) extra["ema"] = await peekFloat32(emaParams);
    const sftState: SftState = { kind: SFT_RUN_KIND, step, adamT: state.t, seed: config.seed, elapsedS: elapsed, window, config };
    await saveCheckpoint(dir, { config: modelConfig, base: await peekFloat32(state.params), extra, state: sftState });
    await commitCheckpoint(out, step, config.keepCheckpoints);
    lastCheckpoint = dir;
  };

  const bar = o.progress && process.stderr.isTTY ? new SingleBar({ format: "sft {bar} {value}/{total} | loss {loss} | {rate} steps/s", stream: process.stderr }) : null;
  bar?.start(config.steps, step, { loss: "-", rate: "-" });
  let lastLoss = Number.NaN;
  let status_: SftResult["status"] = "completed";
  try {
    while (step < config.steps) {
      const started = performance.now();
      const lr = learningRate(config.optimizer, step + 1, config.steps);
      const r = await trainer.step(state, batchArrays(batches.make(step + 1), N, P, W), lr);
      if (ema && emaParams) {
        emaParams = ema.update(emaParams, state.params);
        // Run it now: a pending chain of EMA updates would hold every step's weights (a leak of ~2 weight
        // vectors per step, which ran the `small` model out of wasm memory after ~440 steps).
        await emaParams.blockUntilReady();
      }
      step += 1;
      if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) {
        throw new UserError(`SFT diverged at step ${step} (loss ${r.loss}, grad norm ${r.gradNorm}); the last good checkpoint is ${lastCheckpoint || "none"}`, 1);
      }
      const seconds = (performance.now() - started) / 1000;
      elapsed += seconds;
      window = { loss: window.loss + r.loss, gradNorm: window.gradNorm + r.gradNorm, n: window.n + 1 };
      o.onStep?.({ step, loss: r.loss, gradNorm: r.gradNorm, lr });
      bar?.update(step, { loss: r.loss.toFixed(4), rate: (1 / seconds).toFixed(2) });
      const stop = o.shouldStop?.(step) ?? false;
      if (step % config.logEvery === 0 || step === config.steps) {
        lastLoss = window.loss / window.n;
        await appendMetrics(out, { step, loss: lastLoss, lr, grad_norm: window.gradNorm / window.n, time_s: elapsed });
        window = { loss: 0, gradNorm: 0, n: 0 };
      }
      if (step % config.ckptEvery === 0 || step === config.steps || stop) await checkpoint();
      if (stop && step < config.steps) {
        status_ = "interrupted";
        break;
      }
    }
  } finally {
    bar?.stop();
    trainer.dispose();
    ema?.dispose();
    state.params.dispose();
    state.m.dispose();
    state.v.dispose();
    emaParams?.dispose();
  }
  return { status: status_, step, checkpoint: lastCheckpoint, loss: lastLoss };
}
