/**
 * Everything a resumed run needs to continue bit for bit, as a checkpoint (src/model/checkpoint.ts):
 * the SFT base (model.safetensors), θ (lora.safetensors, the raw trainable weights, never the EMA),
 * and in extra.safetensors the Adam moments, the old policy, the eval EMA (`eval_ema`, what `eval`
 * samples by default: model/checkpoint.ts chooseWeights) and the reference LoRA
 * (when it is not the cold start); state.json holds epoch, step, RNG state, EMA/ban states and counters.
 */
import { z } from "zod";
import { UserError } from "../../runtime/errors.js";
import type { RngState } from "../../runtime/rng.js";
import { LORA_EMA_TENSOR, loadCheckpoint, saveCheckpoint, type LoraConfig, type ModelConfig } from "../../model/index.js";
import { EvalEma, OldPolicy } from "../ema.js";
import type { GroupFilter, GroupFilterFactory } from "../recipe.js";
import { firstDifference } from "../../runtime/run-folder.js";
import { TrainConfigSchema, type TrainConfig } from "./config.js";

export interface RunState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken (Adam's t). */
  step: number;
  theta: Float32Array;
  m: Float32Array;
  v: Float32Array;
  old: OldPolicy;
  ema: EvalEma;
  /** The reference LoRA when a recipe's `afterStep` made θ the reference; null = the cold-start model. */
  refLora: Float32Array | null;
  /** The algorithm's group filter (state.json "ban"), when it has one. */
  ban: GroupFilter | null;
  rng: RngState;
  /** Consecutive optimizer steps skipped for a NaN loss, and all of them. */
  nanStreak: number;
  nanSteps: number;
}

const StateFileSchema = z.strictObject({
  kind: z.literal("portraitrl-train-state"),
  version: z.literal(1),
  config: TrainConfigSchema,
  epoch: z.number().int().min(0),
  step: z.number().int().min(0),
  rng: z.strictObject({ s: z.tuple([z.number(), z.number(), z.number(), z.number()]), spare: z.number().nullable() }),
  oldPolicy: z.unknown(),
  evalEma: z.unknown(),
  ban: z.unknown().nullable(),
  hasRefLora: z.boolean(),
  nanStreak: z.number().int().min(0),
  nanSteps: z.number().int().min(0),
});

export async function saveRunState(dir: string, model: { config: ModelConfig; lora: LoraConfig; base: Float32Array }, config: TrainConfig, s: RunState): Promise<void> {
  const extra: Record<string, Float32Array> = { adam_m: s.m, adam_v: s.v, old_policy: s.old.vector, [LORA_EMA_TENSOR]: s.ema.vector };
  if (s.refLora) extra.ref_lora = s.refLora;
  const state: z.infer<typeof StateFileSchema> = {
    kind: "portraitrl-train-state",
    version: 1,
    config,
    epoch: s.epoch,
    step: s.step,
    rng: s.rng,
    oldPolicy: s.old.state(),
    evalEma: s.ema.state(),
    ban: s.ban ? s.ban.state() : null,
    hasRefLora: s.refLora !== null,
    nanStreak: s.nanStreak,
    nanSteps: s.nanSteps,
  };
  await saveCheckpoint(dir, { config: model.config, lora: model.lora, base: model.base, loraWeights: s.theta, extra, state });
}

/** Loads a run checkpoint written by `saveRunState`, checking it belongs to this config. */
export async function loadRunState(dir: string, modelConfig: ModelConfig, config: TrainConfig, groupFilter: GroupFilterFactory | null): Promise<{ state: RunState; base: Float32Array }> {
  const ck = await loadCheckpoint(dir, { expectConfig: modelConfig });
  const parsed = StateFileSchema.safeParse(ck.state);
  if (!parsed.success || !ck.loraWeights) throw new UserError(`checkpoint ${dir}: not a training checkpoint (state.json or lora.safetensors missing or invalid)`, 1);
  const st = parsed.data;
  const diff = firstDifference(st.config, config, "epochs"); // a run may be extended
  if (diff !== null) throw new UserError(`checkpoint ${dir}: config field ${diff} differs from this command's`, 2);
  const need = (name: string): Float32Array => {
    const x = ck.extra[name];
    if (!x) throw new UserError(`checkpoint ${dir}: extra tensor ${name} missing`, 1);
    return x;
  };
  const theta = Float32Array.from(ck.loraWeights);
  return {
    base: ck.base,
    state: {
      epoch: st.epoch,
      step: st.step,
      theta,
      m: Float32Array.from(need("adam_m")),
      v: Float32Array.from(need("adam_v")),
      old: OldPolicy.restore(st.oldPolicy, need("old_policy")),
      ema: EvalEma.restore(st.evalEma, need(LORA_EMA_TENSOR)),
      refLora: st.hasRefLora ? Float32Array.from(need("ref_lora")) : null,
      ban: st.ban === null || !groupFilter ? null : groupFilter.restore(st.ban),
      rng: { s: [...st.rng.s], spare: st.rng.spare },
      nanStreak: st.nanStreak,
      nanSteps: st.nanSteps,
    },
  };
}
