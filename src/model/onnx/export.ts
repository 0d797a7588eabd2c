/**
 * The ONNX export of the model's velocity v_θ(x_t, t, ref, text[, guidance]) — one sampling step,
 * text encoder included — for an inference engine (session.ts). The weights are graph INPUTS (`base`,
 * and `lora` when the model has an adapter), not initializers, so one exported graph serves every
 * weight version; only config-derived constants (RoPE tables, frequencies, scalars) are baked in.
 * The batch dimension is free ("B").
 */
import { tokenDim, tokensPerImage, type ModelConfig } from "../config.js";
import { loraScale, loraSpec, type LoraConfig } from "../lora.js";
import { ropeTables } from "../rope.js";
import { baseSpec } from "../spec.js";
import { specSize } from "../params.js";
import { ropeConstants } from "./attention.js";
import { Graph, Params } from "./graph.js";
import { transformer } from "./mmdit.js";
import { FLOAT, INT32 } from "./proto.js";
import { encodeText } from "./text.js";

export const VELOCITY_OUTPUT = "velocity";

/** An exported velocity graph and the names of its inputs. */
export interface VelocityExport {
  bytes: Uint8Array;
  inputs: { base: string; lora: string | null; xt: string; t: string; ref: string; text: string; guidance: string | null };
}

export function exportVelocity(c: ModelConfig, lora: LoraConfig | null): VelocityExport {
  if (c.textEncoder !== "builtin") throw new Error(`preset ${c.preset} is shape-only (external text encoder)`);
  const g = new Graph();
  const N = tokensPerImage(c);
  const P = tokenDim(c);
  const bSpec = baseSpec(c);
  const lSpec = lora ? loraSpec(c, lora) : [];
  const base = g.input("base", FLOAT, [specSize(bSpec)]);
  const loraIn = lora ? g.input("lora", FLOAT, [specSize(lSpec)]) : null;
  const xt = g.input("xt", FLOAT, ["B", N, P]);
  const t = g.input("t", FLOAT, ["B"]);
  const ref = g.input("ref", FLOAT, ["B", N, P]);
  const text = g.input("text", INT32, ["B", c.textMaxWords]);
  const guidance = c.guidanceEmbed ? g.input("guidance", FLOAT, ["B"]) : null;
  const w = { g, p: new Params(g, base, bSpec), lora: loraIn && lora ? new Params(g, loraIn, lSpec) : null, loraScale: lora ? loraScale(lora) : 0 };
  const [seq, pooled] = encodeText(g, w.p, text, c);
  const v = transformer(w, c, ropeConstants(g, ropeTables(c)), N, xt, ref, seq, pooled, t, guidance);
  g.output(v, VELOCITY_OUTPUT, ["B", N, P]);
  return { bytes: g.encode(`portraitrl-velocity-${c.preset}`), inputs: { base, lora: loraIn, xt, t, ref, text, guidance } };
}
