/**
 * Flat parameter layout: every weight is a slice of ONE float32 vector (jaxjs-performance.md §2.2),
 * described by `ParamEntry`s in diffusers `FluxTransformer2DModel` naming and [out, in] Linear layout.
 * Inside a jit the vector is split into views once (`ParamBag`), and each leaf is taken exactly once.
 */
import { np, type JaxArray } from "../runtime/jax.js";

export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Accumulates entries with running offsets. */
export class SpecBuilder {
  readonly entries: ParamEntry[] = [];
  private offset = 0;

  add(name: string, shape: number[]): void {
    const size = shape.reduce((a, b) => a * b, 1);
    this.entries.push({ name, shape, offset: this.offset, size });
    this.offset += size;
  }

  /** A diffusers `nn.Linear(inF, outF)`: `${name}.weight` [outF, inF] and `${name}.bias` [outF]. */
  linear(name: string, inF: number, outF: number, bias = true): void {
    this.add(`${name}.weight`, [outF, inF]);
    if (bias) this.add(`${name}.bias`, [outF]);
  }
}

export function specSize(spec: ParamEntry[]): number {
  const last = spec[spec.length - 1];
  return last ? last.offset + last.size : 0;
}

/** Leaves of a flat vector, split once; `take(name)` hands each leaf out exactly once. */
export class ParamBag {
  private readonly leaves = new Map<string, JaxArray>();

  /** Consumes `flat`. */
  constructor(flat: JaxArray, spec: ParamEntry[]) {
    if (spec.length === 0) {
      flat.dispose();
      return;
    }
    const cuts = spec.slice(1).map((e) => e.offset);
    const parts = np.split(flat, cuts);
    spec.forEach((e, i) => this.leaves.set(e.name, parts[i]!.reshape(e.shape)));
  }

  has(name: string): boolean {
    return this.leaves.has(name);
  }

  take(name: string): JaxArray {
    const leaf = this.leaves.get(name);
    if (!leaf) throw new Error(`parameter ${name} missing or already used`);
    this.leaves.delete(name);
    return leaf;
  }

  /** Release leaves that were not used (e.g. LoRA of a module the forward skipped). */
  dispose(): void {
    for (const leaf of this.leaves.values()) leaf.dispose();
    this.leaves.clear();
  }
}
