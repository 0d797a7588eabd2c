/**
 * LoRA (Hu et al. 2021) in PEFT conventions: for a targeted Linear W [out, in],
 *   y = x Wᵀ + b + (α / r) · (x Aᵀ) Bᵀ,   A = lora_A [r, in], B = lora_B [out, r],
 * A Kaiming-uniform (PEFT's default, bound 1/√in), B = 0 so a fresh adapter leaves the model
 * unchanged; dropout 0. Targets match module names by suffix, as PEFT does, so `attn.to_q` also hits
 * the single-stream blocks (anchors-evaluation.md §5.2). Tensors are named
 * `<module>.lora_A.weight` / `<module>.lora_B.weight`, as PEFT/diffusers save them for FLUX.
 */
import { z } from "zod";
import { Rng } from "../runtime/rng.js";
import { UserError } from "../runtime/errors.js";
import { firstIssue } from "../runtime/zod-error.js";
import type { ModelConfig } from "./config.js";
import { SpecBuilder, type ParamEntry } from "./params.js";
import { linearModules, type LinearModule } from "./spec.js";

const ATTENTION = ["attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj", "attn.to_add_out"];
const FEED_FORWARD = ["ff.net.0.proj", "ff.net.2", "ff_context.net.0.proj", "ff_context.net.2"];

/** Target lists (anchors-evaluation.md §5.2). */
export const LORA_TARGETS = {
  /** diffusers DreamBooth-LoRA FLUX default: 12 modules. */
  "diffusers-default": [...ATTENTION, ...FEED_FORWARD],
  /** Edit-R1 Kontext: the 8 attention projections. */
  "attention-only": ATTENTION,
  /** Flow-GRPO Kontext: diffusers default + proj_mlp. */
  "flow-grpo": [...ATTENTION, ...FEED_FORWARD, "proj_mlp"],
} as const;

export type LoraTargets = keyof typeof LORA_TARGETS;

export const LoraConfigSchema = z
  .object({
    rank: z.number().int().positive(),
    alpha: z.number().positive(),
    targets: z.enum(Object.keys(LORA_TARGETS) as [LoraTargets, ...LoraTargets[]]),
  })
  .strict();

export type LoraConfig = z.infer<typeof LoraConfigSchema>;

export function parseLoraConfig(raw: unknown, source: string): LoraConfig {
  const r = LoraConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const { field, what } = firstIssue(r.error);
  throw new UserError(`${source}: lora config field ${field}: ${what}`);
}

/** The Linear modules a LoRA config targets (suffix match on `.`-separated names). */
export function loraModules(c: ModelConfig, lora: LoraConfig): LinearModule[] {
  const suffixes = LORA_TARGETS[lora.targets];
  return linearModules(c).filter((m) => suffixes.some((s) => m.name === s || m.name.endsWith(`.${s}`)));
}

export function loraSpec(c: ModelConfig, lora: LoraConfig): ParamEntry[] {
  const b = new SpecBuilder();
  for (const m of loraModules(c, lora)) {
    b.add(`${m.name}.lora_A.weight`, [lora.rank, m.inF]);
    b.add(`${m.name}.lora_B.weight`, [m.outF, lora.rank]);
  }
  return b.entries;
}

export function loraScale(lora: LoraConfig): number {
  return lora.alpha / lora.rank;
}

/** A fresh adapter: A ~ U(−1/√in, 1/√in), B = 0. */
export function initLoraWeights(spec: ParamEntry[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(spec.reduce((a, e) => a + e.size, 0));
  for (const e of spec) {
    if (!e.name.endsWith(".lora_A.weight")) continue;
    const bound = 1 / Math.sqrt(e.shape[1]!);
    out.set(rng.uniformArray(e.size, -bound, bound), e.offset);
  }
  return out;
}

/** W ← W + (α/r)·B A for every targeted module (a new vector). */
export function mergeLora(base: Float32Array, baseSpec: ParamEntry[], lora: Float32Array, spec: ParamEntry[], cfg: LoraConfig): Float32Array {
  const out = base.slice();
  const byName = new Map(baseSpec.map((e) => [e.name, e]));
  const r = cfg.rank;
  const s = loraScale(cfg);
  for (let k = 0; k < spec.length; k += 2) {
    const a = spec[k]!;
    const b = spec[k + 1]!;
    const w = byName.get(a.name.replace(/\.lora_A\.weight$/, ".weight"));
    if (!w) throw new Error(`LoRA tensor ${a.name} has no base weight`);
    const [outF, inF] = w.shape as [number, number];
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let j = 0; j < r; j++) acc += lora[b.offset + o * r + j]! * lora[a.offset + j * inF + i]!;
        out[w.offset + o * inF + i] = out[w.offset + o * inF + i]! + s * acc;
      }
    }
  }
  return out;
}

