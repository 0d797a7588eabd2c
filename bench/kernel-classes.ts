/**
 * Sorting jax-js profiler entries (`jax.profiler` → `performance.measure`, one per kernel, with the
 * kernel's expression and reduction in `detail.devtools.properties`) into kernel classes, read off
 * the expression:
 *   attention   any operand view with two axes of the sequence length T ([B,H,T,T] scores, softmax,
 *               QKᵀ, AV and their gradients)
 *   matmul      an Add-reduction over a product of two different operands (Linears, RoPE rotation)
 *   optimizer   kernels over the trainable vector (AdamW, clipping, the gradient norm)
 *   norms       other reductions over the width D or the head dim (LayerNorm, RMSNorm statistics)
 *   copies      a bare load of one operand (split, concatenate, transpose materialised)
 *   reductions  every other reduction; elementwise: the rest (GELU, SiLU, modulation, RoPE, residuals)
 */
export interface KernelEntry {
  name: string;
  startTime: number;
  duration: number;
  detail?: { devtools?: { properties?: [string, string][] } };
}

export interface ClassContext {
  T: number;
  widths: number[];
  /** Lengths of the flat trainable vectors (optimizer kernels run over these). */
  trainable: number[];
}

export const KERNEL_CLASSES = ["matmul", "attention", "elementwise", "norms", "optimizer", "copies", "reductions", "routines"] as const;
export type KernelClass = (typeof KERNEL_CLASSES)[number];

const BARE_LOAD = /^GV_\d+<\w+>\{[^}]*\}\[[^\]]*\]$/;
const PRODUCT_OF_TWO = /GV_(\d+)<[^*]*\* GV_(?!\1<)\d+</;

export function classify(e: KernelEntry, c: ClassContext): KernelClass {
  if (!e.name.startsWith("Kernel")) return "routines";
  const props = Object.fromEntries(e.detail?.devtools?.properties ?? []);
  const exp = props.exp ?? "";
  const size = Number(props.size);
  const [op, rsize] = (props.reduction ?? "").split(":");
  const shapes = [...exp.matchAll(/\{([\d,]+):/g)].map((m) => m[1]!.split(",").map(Number));
  if (shapes.some((s) => s.filter((d) => d === c.T).length >= 2)) return "attention";
  if (op === "Add" && PRODUCT_OF_TWO.test(exp)) return "matmul";
  if (c.trainable.includes(size) || (op && c.trainable.includes(Number(rsize)))) return "optimizer";
  if (op && c.widths.includes(Number(rsize))) return "norms";
  if (op) return "reductions";
  if (BARE_LOAD.test(exp)) return "copies";
  return "elementwise";
}

/** Milliseconds per class (every class listed), the total, and the heaviest kernels. */
export function summarise(entries: KernelEntry[], c: ClassContext, top = 8): { kernelMs: number; kernels: number; byClassMs: Record<KernelClass, number>; topKernels: string[] } {
  const byClass = Object.fromEntries(KERNEL_CLASSES.map((k) => [k, 0])) as Record<KernelClass, number>;
  const heavy = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const e of entries) {
    const k = classify(e, c);
    byClass[k] += e.duration;
    total += e.duration;
    const props = Object.fromEntries(e.detail?.devtools?.properties ?? []);
    const shapes = [...(props.exp ?? props.inputShapes ?? "").matchAll(/\{([\d,]+):/g)].map((m) => `[${m[1]}]`).slice(0, 2).join("·");
    const key = `${k} ${props.reduction ?? ""} ${shapes}`;
    const h = heavy.get(key) ?? { ms: 0, n: 0 };
    h.ms += e.duration;
    h.n++;
    heavy.set(key, h);
  }
  return {
    kernelMs: +total.toFixed(1),
    kernels: entries.length,
    byClassMs: Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, +v.toFixed(1)])) as Record<KernelClass, number>,
    topKernels: [...heavy].sort((a, b) => b[1].ms - a[1].ms).slice(0, top).map(([k, v]) => `${v.ms.toFixed(1)} ms ×${v.n} ${k}`),
  };
}
