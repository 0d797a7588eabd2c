/**
 * The exported velocity (export.ts) on onnxruntime-node's native CPU engine (MLAS), an OPTIONAL
 * dependency loaded on demand: where it is absent, callers get one line saying how to install it.
 * Inference only. Weights are inputs: `setWeights` hands the flat vectors over (no copy: ORT reads
 * the Float32Array in place, so the caller must not change it while calls run), and every later
 * `velocity` uses them. Threads are set explicitly (intra-op `threads`, inter-op 1, sequential), so a
 * run does not depend on how many cores the machine reports; idle threads sleep rather than spin. The
 * engine choice itself is model/forward.ts.
 */
import { UserError } from "../../runtime/errors.js";
import type { EditModel } from "../model.js";
import { exportVelocity, VELOCITY_OUTPUT } from "./export.js";

interface OrtTensor {
  data: unknown;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  Tensor: new (type: "float32" | "int32", data: Float32Array | Int32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(buffer: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
}

export const ORT_PACKAGE = "onnxruntime-node";

/** onnxruntime-node, or a UserError naming how to install it. */
export async function loadOrt(): Promise<Ort> {
  try {
    const mod = (await import(ORT_PACKAGE)) as Ort & { default?: Ort };
    return mod.InferenceSession ? mod : mod.default!;
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new UserError(`${ORT_PACKAGE} cannot be loaded (${why}); it is an optional dependency: ONNXRUNTIME_NODE_INSTALL=skip npm i ${ORT_PACKAGE}@1.30.0`);
  }
}

/** One batch of velocity inputs (host arrays): xt, ref [B, N, P], t [B], text int32 [B, textMaxWords], guidance [B]. */
export interface VelocityInputs {
  xt: Float32Array;
  t: Float32Array;
  ref: Float32Array;
  text: Int32Array;
  guidance?: Float32Array;
}

export interface OnnxVelocity {
  readonly threads: number;
  /** Weight sync: the base (and, for a model with LoRA, the adapter) vectors later calls use. */
  setWeights(base: Float32Array, lora: Float32Array | null): void;
  /** v_θ for a batch of B, [B, N, P] flat. */
  velocity(inputs: VelocityInputs, B: number): Promise<Float32Array>;
  release(): Promise<void>;
}

export async function createOnnxVelocity(model: EditModel, threads: number): Promise<OnnxVelocity> {
  const ort = await loadOrt();
  const { bytes, inputs: names } = exportVelocity(model.config, model.lora);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spinning: on a loaded 2-core machine spinning threads fight
    // each other and every other process (small, batch 32, 2 threads, load ≈ 6: 65 ms per call, not 115).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  const c = model.config;
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  let weights: Record<string, OrtTensor> | null = null;
  return {
    threads,
    setWeights(base, lora) {
      if (base.length !== model.baseSize) throw new Error(`onnx velocity: base vector has ${base.length} values, spec needs ${model.baseSize}`);
      if (names.lora && lora?.length !== model.loraSize) throw new Error(`onnx velocity: LoRA vector has ${lora?.length ?? 0} values, spec needs ${model.loraSize}`);
      weights = { [names.base]: new ort.Tensor("float32", base, [base.length]) };
      if (names.lora && lora) weights[names.lora] = new ort.Tensor("float32", lora, [lora.length]);
    },
    async velocity(x, B) {
      if (!weights) throw new Error("onnx velocity: setWeights first");
      const feeds: Record<string, OrtTensor> = {
        ...weights,
        [names.xt]: new ort.Tensor("float32", x.xt, [B, N, P]),
        [names.t]: new ort.Tensor("float32", x.t, [B]),
        [names.ref]: new ort.Tensor("float32", x.ref, [B, N, P]),
        [names.text]: new ort.Tensor("int32", x.text, [B, c.textMaxWords]),
      };
      if (names.guidance) feeds[names.guidance] = new ort.Tensor("float32", x.guidance ?? new Float32Array(B).fill(c.defaultGuidance), [B]);
      const out = await session.run(feeds);
      return out[VELOCITY_OUTPUT]!.data as Float32Array;
    },
    release: () => session.release(),
  };
}
