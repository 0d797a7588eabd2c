/**
 * Checkpoint folder (DESIGN §7):
 *   config.json         {format, model, lora, versions, files: {name: {sha256, bytes}}, extraNames}
 *   model.safetensors   base weights, diffusers names
 *   lora.safetensors    LoRA only, PEFT names (`…attn.to_q.lora_A.weight`), when there is an adapter
 *   extra.safetensors   named flat vectors (Adam moments, EMA copies), when given
 *   state.json          opaque JSON for trainers, when given
 * Written into a temporary folder and renamed into place; loading checks presence, sizes and
 * SHA-256 of every file, and the preset/config against `expectConfig`, before returning anything.
 */
import { createHash } from "node:crypto";
import { readFileSync, realpathSync } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../runtime/errors.js";
import { versions } from "../runtime/versions.js";
import { writeDirAtomic } from "../runtime/atomic.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../runtime/safetensors.js";
import { parseModelConfig, type ModelConfig } from "./config.js";
import { parseLoraConfig, loraSpec, type LoraConfig } from "./lora.js";
import type { ParamEntry } from "./params.js";
import { baseSpec } from "./spec.js";

export const CHECKPOINT_FORMAT = "portraitrl-checkpoint/1";

export interface CheckpointData {
  config: ModelConfig;
  lora?: LoraConfig | null;
  base: Float32Array;
  loraWeights?: Float32Array;
  extra?: Record<string, Float32Array>;
  state?: unknown;
}

export interface LoadedCheckpoint {
  config: ModelConfig;
  lora: LoraConfig | null;
  base: Float32Array;
  loraWeights?: Float32Array;
  extra: Record<string, Float32Array>;
  state: unknown;
}

interface Manifest {
  format: string;
  model: ModelConfig;
  lora: LoraConfig | null;
  versions: Record<string, string>;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** Flat vector → named tensors (views into `flat`). */
function toTensors(flat: Float32Array, spec: ParamEntry[]): Map<string, Tensor> {
  return new Map(spec.map((e) => [e.name, { shape: e.shape, data: flat.subarray(e.offset, e.offset + e.size) }]));
}

/** Named tensors → flat vector, checking every name and shape of the spec. */
function fromTensors(tensors: Map<string, Tensor>, spec: ParamEntry[], source: string): Float32Array {
  const out = new Float32Array(spec.reduce((a, e) => a + e.size, 0));
  for (const e of spec) {
    const t = tensors.get(e.name);
    if (!t) throw new UserError(`${source}: tensor ${e.name} missing`, 1);
    if (t.shape.join(",") !== e.shape.join(",")) throw new UserError(`${source}: tensor ${e.name} has shape [${t.shape.join(",")}], expected [${e.shape.join(",")}]`, 1);
    out.set(t.data, e.offset);
  }
  if (tensors.size !== spec.length) {
    const names = new Set(spec.map((e) => e.name));
    const stray = [...tensors.keys()].find((n) => !names.has(n));
    throw new UserError(`${source}: unexpected tensor ${stray ?? "?"}`, 1);
  }
  return out;
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  const lora = data.lora ?? null;
  const bSpec = baseSpec(data.config);
  const need = bSpec.reduce((a, e) => a + e.size, 0);
  if (data.base.length !== need) throw new RangeError(`saveCheckpoint: base has ${data.base.length} values, the ${data.config.preset} config needs ${need}`);
  const files: Record<string, Uint8Array> = {
    "model.safetensors": encodeSafetensors(toTensors(data.base, bSpec), { format: "pt", preset: data.config.preset }),
  };
  if (data.loraWeights) {
    if (!lora) throw new RangeError("saveCheckpoint: loraWeights given without a lora config");
    files["lora.safetensors"] = encodeSafetensors(toTensors(data.loraWeights, loraSpec(data.config, lora)), { format: "pt", rank: String(lora.rank), alpha: String(lora.alpha) });
  }
  const extra = Object.entries(data.extra ?? {});
  if (extra.length > 0) files["extra.safetensors"] = encodeSafetensors(new Map(extra.map(([k, v]) => [k, { shape: [v.length], data: v }])));
  if (data.state !== undefined) files["state.json"] = Buffer.from(JSON.stringify(data.state, null, 1));
  const manifest: Manifest = {
    format: CHECKPOINT_FORMAT,
    model: data.config,
    lora,
    versions: versions(),
    files: Object.fromEntries(Object.entries(files).map(([k, b]) => [k, { sha256: sha256(b), bytes: b.length }])),
  };
  await writeDirAtomic(dir, async (tmp) => {
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(tmp, name), bytes);
    await writeFile(join(tmp, "config.json"), JSON.stringify(manifest, null, 2) + "\n");
  });
}

async function readChecked(dir: string, name: string, meta: { sha256: string; bytes: number }): Promise<Uint8Array> {
  const path = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new UserError(`checkpoint ${dir}: ${name} is missing`, 1);
  }
  if (bytes.length !== meta.bytes) throw new UserError(`checkpoint ${dir}: ${name} has ${bytes.length} bytes, config.json records ${meta.bytes} (truncated or replaced)`, 1);
  if (sha256(bytes) !== meta.sha256) throw new UserError(`checkpoint ${dir}: ${name} does not match its SHA-256 in config.json (corrupted)`, 1);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Load and verify a checkpoint; `expectConfig` refuses one of another preset or architecture,
 * `expectPreset` one of another preset (a checkpoint may differ from its preset in fields such as
 * the instruction vocabulary its SFT read off the data).
 */
export async function loadCheckpoint(dir: string, opts: { expectConfig?: ModelConfig; expectPreset?: string } = {}): Promise<LoadedCheckpoint> {
  try {
    await stat(dir);
  } catch {
    throw new UserError(`checkpoint ${dir} does not exist`, 1);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Manifest;
  } catch (e) {
    throw new UserError(`checkpoint ${dir}: config.json missing or unreadable (${(e as Error).message.split("\n")[0]})`, 1);
  }
  if (manifest.format !== CHECKPOINT_FORMAT) throw new UserError(`checkpoint ${dir}: config.json format is ${String(manifest.format)}, expected ${CHECKPOINT_FORMAT}`, 1);
  const config = parseModelConfig(manifest.model, `${join(dir, "config.json")} (model)`);
  const lora = manifest.lora ? parseLoraConfig(manifest.lora, `${join(dir, "config.json")} (lora)`) : null;
  if (opts.expectPreset !== undefined && opts.expectPreset !== config.preset) {
    throw new UserError(`checkpoint ${dir} is for preset ${config.preset}, expected ${opts.expectPreset}`, 2);
  }
  const want = opts.expectConfig;
  if (want) {
    if (want.preset !== config.preset) throw new UserError(`checkpoint ${dir} is for preset ${config.preset}, expected ${want.preset}`, 2);
    const diff = (Object.keys(want) as (keyof ModelConfig)[]).find((k) => JSON.stringify(want[k]) !== JSON.stringify(config[k]));
    if (diff) throw new UserError(`checkpoint ${dir}: model config field ${diff} is ${JSON.stringify(config[diff])}, expected ${JSON.stringify(want[diff])}`, 2);
  }
  const files = manifest.files ?? {};
  const meta = (name: string): { sha256: string; bytes: number } => {
    const m = files[name];
    if (!m) throw new UserError(`checkpoint ${dir}: config.json lists no ${name}`, 1);
    return m;
  };
  const base = fromTensors(decodeSafetensors(await readChecked(dir, "model.safetensors", meta("model.safetensors")), join(dir, "model.safetensors")).tensors, baseSpec(config), join(dir, "model.safetensors"));
  let loraWeights: Float32Array | undefined;
  if (files["lora.safetensors"]) {
    if (!lora) throw new UserError(`checkpoint ${dir}: lora.safetensors present but config.json has no lora config`, 1);
    const p = join(dir, "lora.safetensors");
    loraWeights = fromTensors(decodeSafetensors(await readChecked(dir, "lora.safetensors", meta("lora.safetensors")), p).tensors, loraSpec(config, lora), p);
  }
  const extra: Record<string, Float32Array> = {};
  if (files["extra.safetensors"]) {
    const t = decodeSafetensors(await readChecked(dir, "extra.safetensors", meta("extra.safetensors")), join(dir, "extra.safetensors")).tensors;
    for (const [k, v] of t) extra[k] = v.data;
  }
  let state: unknown = undefined;
  if (files["state.json"]) state = JSON.parse(Buffer.from(await readChecked(dir, "state.json", meta("state.json"))).toString("utf8"));
  return { config, lora, base, ...(loraWeights ? { loraWeights } : {}), extra, state };
}

/** sha256 of a checkpoint's config.json (it lists the sha256 of every weights file), as `eval` records it. */
export function checkpointHash(dir: string): string {
  return sha256(readFileSync(join(realpathSync(dir), "config.json")));
}

/** Which weights of a checkpoint a run starts from and an eval samples (`--init-weights`, `--weights`). */
export const BASE_WEIGHT_CHOICES = ["ema", "base"] as const;
export type BaseWeightChoice = (typeof BASE_WEIGHT_CHOICES)[number];

/**
 * The base weights to use: the SFT EMA (`extra.ema`) when asked for and present, else the base weights.
 * `ema` says which it was. `train --init` and `eval --ckpt` both choose through this, so an SFT row and
 * the RL runs started from the same checkpoint see the same weights.
 */
export function chooseBaseWeights(ck: LoadedCheckpoint, which: BaseWeightChoice): { base: Float32Array; ema: boolean } {
  const ema = which === "ema" && ck.extra.ema !== undefined;
  return { base: ema ? ck.extra.ema! : ck.base, ema };
}

/** The extra tensor in which an RL run checkpoint keeps the eval EMA of its LoRA (lora.safetensors holds the trained LoRA). */
export const LORA_EMA_TENSOR = "eval_ema";

/**
 * The weights an editor samples with (`eval --weights`), one rule for every checkpoint: with "ema", the
 * EMA the checkpoint keeps — an SFT checkpoint's EMA of its base weights (`extra.ema`), an RL run's
 * eval EMA of its LoRA (`extra.eval_ema`) — else its trained weights; with "base", the trained weights.
 * `ema` says which EMA was used (null: none).
 */
export function chooseWeights(ck: LoadedCheckpoint, which: BaseWeightChoice): { base: Float32Array; loraWeights?: Float32Array; ema: "base" | "lora" | null } {
  const { base, ema: baseEma } = chooseBaseWeights(ck, which);
  const loraEma = which === "ema" && ck.loraWeights !== undefined ? ck.extra[LORA_EMA_TENSOR] : undefined;
  const loraWeights = loraEma ?? ck.loraWeights;
  return { base, ...(loraWeights ? { loraWeights } : {}), ema: loraEma ? "lora" : baseEma ? "base" : null };
}
