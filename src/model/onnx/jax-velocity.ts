/**
 * The ONNX velocity as a sampler's velocity function over jax-js arrays (the shape of flow's
 * `VelocityFn`): x_t is read back to the host (consumed), run through onnxruntime-node with the batch's
 * conditioning, and the result comes back as a fresh jax-js array [B, N, P].
 */
import { np, type JaxArray } from "../../runtime/jax.js";
import type { OnnxVelocity } from "./session.js";

/** `ref` [B, N, P] reference tokens and `text` [B, W] word ids are the batch's (host) conditioning. */
export function onnxVelocityFn(engine: OnnxVelocity, ref: Float32Array, text: Int32Array, shape: readonly [number, number, number]): (xt: JaxArray, t: number) => Promise<JaxArray> {
  const B = shape[0];
  return async (x, t) => {
    const xt = (await x.data()) as Float32Array;
    const v = await engine.velocity({ xt, t: new Float32Array(B).fill(t), ref, text }, B);
    return np.array(v, { shape: [...shape] });
  };
}
