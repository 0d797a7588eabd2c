/**
 * The model's forward engine: the one place that chooses between the jitted jax-js velocity and the
 * model's ONNX export on onnxruntime-node (src/model/onnx), as jax-js's own `getBackend(name)` picks a
 * `Backend`. `openForward(kind, model)` gives a `Forward`: weights in (`setBase`, `setLora`: host
 * vectors, which the engine copies or reads in place, so a caller changes them only between calls and
 * sets them again after a change), a batch's conditioning bound to a velocity (`bind`), and `release`.
 * Rollouts, the update's no-gradient forwards and eval all sample through it; the two engines agree to
 * float rounding (test/rl/rollout-engine.test.ts, test/eval/eval-engine.test.ts).
 */
import { UserError } from "../runtime/errors.js";
import { jax, np, type JaxArray } from "../runtime/jax.js";
import { packageVersion } from "../runtime/versions.js";
import type { EditModel } from "./model.js";
import { createOnnxVelocity, loadOrt, ORT_PACKAGE } from "./onnx/session.js";

/** The forward engines: the jitted jax-js velocity, or the ONNX export on onnxruntime-node's native CPU kernels. */
export const FORWARD_ENGINES = ["jax", "onnx"] as const;
export type ForwardEngine = (typeof FORWARD_ENGINES)[number];
/** The engine when none is asked for. */
export const DEFAULT_FORWARD_ENGINE: ForwardEngine = "jax";
/** Intra-op threads of the ONNX engine: fixed, so results do not depend on the machine's core count. */
export const ONNX_THREADS = 2;

/** One batch's conditioning on the host: B rows of reference tokens [B, N, P] and word ids [B, W]. */
export interface BatchConditioning {
  B: number;
  ref: Float32Array;
  text: Int32Array;
}

/** The velocity of one bound batch; `done` frees what the binding holds. */
export interface BoundVelocity {
  /** v at x_t [B, N, P] (consumed) and time t (one for the batch, or one per row): a fresh array the caller owns. */
  velocity(xt: JaxArray, t: number | Float32Array): JaxArray | Promise<JaxArray>;
  done(): void;
}

export interface Forward {
  readonly engine: ForwardEngine;
  /** The base weights of every later call. */
  setBase(base: Float32Array): void;
  /** The LoRA of every later call (null: none). */
  setLora(lora: Float32Array | null): void;
  bind(batch: BatchConditioning): BoundVelocity;
  release(): Promise<void>;
}

/** A forward-engine flag's value (`flag` names it in the message), or one line, exit 2. */
export function forwardEngineFlag(flag: string, value: string): ForwardEngine {
  if (!(FORWARD_ENGINES as readonly string[]).includes(value)) throw new UserError(`${flag} ${JSON.stringify(value)}: expected ${FORWARD_ENGINES.join(" or ")}`, 2);
  return value as ForwardEngine;
}

/** Nothing when `kind` can run here; else one line, exit 2, naming what asked for it (`what`). */
export async function requireEngine(kind: ForwardEngine, what: string): Promise<void> {
  if (kind === "onnx") await loadOrt().catch((e: Error) => Promise.reject(new UserError(`${what}: ${e.message}`, 2)));
}

/** The native engine where onnxruntime-node loads, else jax-js (for a caller that takes the faster one). */
export async function fastestEngine(): Promise<ForwardEngine> {
  return loadOrt().then(
    (): ForwardEngine => "onnx",
    (): ForwardEngine => DEFAULT_FORWARD_ENGINE,
  );
}

/** The versions an output records for what `kind` ran on, beyond the runtime's own (runtime/versions.ts). */
export function engineVersions(kind: ForwardEngine): Record<string, string> {
  return kind === "onnx" ? { onnxruntime_node: packageVersion(ORT_PACKAGE) } : {};
}

/** The model's forward on `kind` (onnx: loaded here, so a missing onnxruntime-node is one line before any work). */
export async function openForward(kind: ForwardEngine, model: EditModel): Promise<Forward> {
  return kind === "onnx" ? onnxForward(model) : jaxForward(model);
}

const tokenShape = (model: EditModel, B: number): [number, number, number] => [B, model.tokensPerImage, model.tokenDim];

function jaxForward(model: EditModel): Forward {
  const withLora = jax.jit((b: JaxArray, l: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => model.velocity(b, l, xt, t, ref, text));
  const baseOnly = jax.jit((b: JaxArray, xt: JaxArray, t: JaxArray, ref: JaxArray, text: JaxArray) => model.velocity(b, null, xt, t, ref, text));
  let base: JaxArray | null = null;
  let lora: JaxArray | null = null;
  return {
    engine: "jax",
    setBase(b) {
      base?.dispose();
      base = np.array(b, { shape: [b.length] });
    },
    setLora(l) {
      lora?.dispose();
      lora = l ? np.array(l, { shape: [l.length] }) : null;
    },
    bind({ B, ref, text }) {
      const refs = np.array(ref, { shape: tokenShape(model, B) });
      const words = np.array(text, { shape: [B, model.config.textMaxWords], dtype: np.int32 });
      return {
        velocity(xt, t) {
          if (!base) throw new Error("jax forward: setBase first");
          const tt = typeof t === "number" ? np.full([B], t, { dtype: np.float32 }) : np.array(t);
          return (lora ? withLora(base.ref, lora.ref, xt, tt, refs.ref, words.ref) : baseOnly(base.ref, xt, tt, refs.ref, words.ref)) as JaxArray;
        },
        done() {
          refs.dispose();
          words.dispose();
        },
      };
    },
    async release() {
      base?.dispose();
      lora?.dispose();
      base = lora = null;
      withLora.dispose();
      baseOnly.dispose();
    },
  };
}

async function onnxForward(model: EditModel): Promise<Forward> {
  const session = await createOnnxVelocity(model, ONNX_THREADS);
  let base: Float32Array | null = null;
  let lora: Float32Array | null = null;
  let stale = true;
  return {
    engine: "onnx",
    setBase(b) {
      base = b;
      stale = true;
    },
    setLora(l) {
      lora = l;
      stale = true;
    },
    bind({ B, ref, text }) {
      return {
        async velocity(x, t) {
          if (!base) throw new Error("onnx forward: setBase first");
          if (stale) session.setWeights(base, lora); // read in place
          stale = false;
          const xt = (await x.data()) as Float32Array;
          const v = await session.velocity({ xt, t: typeof t === "number" ? new Float32Array(B).fill(t) : t, ref, text }, B);
          return np.array(v, { shape: tokenShape(model, B) });
        },
        done() {},
      };
    },
    release: () => session.release(),
  };
}
