/**
 * A small ONNX graph builder over proto.ts: nodes get fresh value names, constants become initializers,
 * and `Params` hands out the leaves of a flat weight vector that is a graph INPUT (not an initializer),
 * so one session serves every weight version. Opset 17 (ReduceMean/ReduceMax take `axes` as an
 * attribute, ReduceSum and Split take them as inputs; LayerNormalization exists).
 */
import type { ParamEntry } from "../params.js";
import { FLOAT, model, node, tensor, valueInfo, type Attr, type Message } from "./proto.js";

export const OPSET = 17;

/** The name of a value in the graph. */
export type Value = string;

export class Graph {
  private readonly nodes: Message[] = [];
  private readonly initializers: Message[] = [];
  private readonly inputs: Message[] = [];
  private readonly outputs: Message[] = [];
  private count = 0;

  private fresh(hint: string): Value {
    return `${hint}_${this.count++}`;
  }

  /** One node with `outputs` results. */
  ops(type: string, inputs: readonly Value[], outputs: number, attrs: Record<string, Attr> = {}): Value[] {
    const names = Array.from({ length: outputs }, () => this.fresh(type));
    this.nodes.push(node(type, inputs, names, attrs));
    return names;
  }

  /** One node with one result. */
  op(type: string, inputs: readonly Value[], attrs: Record<string, Attr> = {}): Value {
    return this.ops(type, inputs, 1, attrs)[0]!;
  }

  /** A float32 constant (dims [] for a scalar). */
  floats(values: ArrayLike<number>, dims: readonly number[] = []): Value {
    const name = this.fresh("const");
    this.initializers.push(tensor(name, dims, Float32Array.from(values)));
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, split sizes). */
  int64s(values: readonly number[]): Value {
    const name = this.fresh("const");
    this.initializers.push(tensor(name, [values.length], BigInt64Array.from(values.map((v) => BigInt(v)))));
    return name;
  }

  input(name: string, elemType: number, shape: readonly (number | string)[]): Value {
    this.inputs.push(valueInfo(name, elemType, shape));
    return name;
  }

  /** Declares `value` as the float output `name`. */
  output(value: Value, name: string, shape: readonly (number | string)[]): void {
    this.nodes.push(node("Identity", [value], [name]));
    this.outputs.push(valueInfo(name, FLOAT, shape));
  }

  reshape(x: Value, shape: readonly number[]): Value {
    return this.op("Reshape", [x, this.int64s(shape)]);
  }

  /** Splits `x` along `axis` into pieces of the given sizes. */
  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    return this.ops("Split", [x, this.int64s(sizes)], sizes.length, { axis });
  }

  encode(name: string): Uint8Array {
    return model({ nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs }, OPSET, name);
  }
}

/** The leaves of a flat weight input (one Split node), each reshaped to its spec shape and taken once. */
export class Params {
  private readonly leaves = new Map<string, Value>();

  constructor(g: Graph, flat: Value, spec: readonly ParamEntry[]) {
    if (spec.length === 0) return;
    const parts = g.split(flat, spec.map((e) => e.size), 0);
    spec.forEach((e, i) => this.leaves.set(e.name, e.shape.length === 1 ? parts[i]! : g.reshape(parts[i]!, e.shape)));
  }

  has(name: string): boolean {
    return this.leaves.has(name);
  }

  take(name: string): Value {
    const leaf = this.leaves.get(name);
    if (leaf === undefined) throw new Error(`onnx export: parameter ${name} missing or already used`);
    this.leaves.delete(name);
    return leaf;
  }
}
