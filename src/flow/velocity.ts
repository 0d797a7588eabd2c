/**
 * The one thing the samplers know about a model: a velocity field.
 *
 * `VelocityFn(xt, t)` returns v_θ(x_t, t) with the shape of `xt`; `t` is the current time, one
 * number for the whole batch (the samplers walk a shared grid). It consumes `xt` and returns a
 * fresh array that the caller owns, or a promise of one (an engine outside jax-js, such as the ONNX
 * forward, reads `xt` back to the host first). Conditioning (reference tokens, text, LoRA) is closed over.
 */
import type { JaxArray } from "../runtime/jax.js";

export type VelocityFn = (xt: JaxArray, t: number) => JaxArray | Promise<JaxArray>;
