/**
 * Node 20 shims that @jax-js/jax 0.1.25 needs (runtimes.md §4). Imported for its side effects,
 * before jax-js itself, by `runtime/jax.ts` only.
 *
 * 1. Web `Worker` over `node:worker_threads`: the wasm backend multithreads only when `Worker`
 *    exists. It spawns workers from a Blob URL of a plain-script source, so the Blob's text is kept
 *    when it is created and handed to a `worker_threads` worker evaluated from a string.
 * 2. `navigator.hardwareConcurrency`, which sizes the worker pool.
 * 3. ES2025 iterator helpers (`map`, `filter`, `toArray`, …) that `np.einsum` and
 *    `nn.dotProductAttention` call on iterators; Node 22 has them natively.
 * Written here because no maintained package provides a Web Worker over worker_threads that accepts
 * blob URLs; the iterator helpers are the few that jax-js calls, with their standard semantics.
 */
import { Worker as NodeWorker } from "node:worker_threads";
import { availableParallelism } from "node:os";

const blobTexts = new Map<string, string>();

class TextKeepingBlob extends Blob {
  readonly keptText: string | undefined;
  constructor(parts: ConstructorParameters<typeof Blob>[0] = [], options?: ConstructorParameters<typeof Blob>[1]) {
    super(parts, options);
    this.keptText = parts.every((p) => typeof p === "string") ? parts.join("") : undefined;
  }
}

const WORKER_PRELUDE =
  "const { parentPort } = require('node:worker_threads');" +
  "globalThis.self = globalThis;" +
  "globalThis.postMessage = (m, t) => parentPort.postMessage(m, t);" +
  "parentPort.on('message', (d) => self.onmessage && self.onmessage({ data: d }));\n";

type MessageHandler = ((e: { data: unknown }) => void) | null;

class NodeBackedWebWorker {
  onmessage: MessageHandler = null;
  onerror: ((e: Error) => void) | null = null;
  private readonly worker: NodeWorker;
  constructor(url: string | URL) {
    const text = blobTexts.get(String(url));
    if (text === undefined) throw new Error(`portraitrl worker shim: no source kept for ${String(url)}`);
    this.worker = new NodeWorker(WORKER_PRELUDE + text, { eval: true });
    this.worker.unref();
    this.worker.on("message", (data: unknown) => this.onmessage?.({ data }));
    this.worker.on("error", (e: Error) => this.onerror?.(e));
  }
  postMessage(message: unknown, transfer?: Parameters<NodeWorker["postMessage"]>[1]): void {
    this.worker.postMessage(message, transfer);
  }
  terminate(): void {
    void this.worker.terminate();
  }
}

function installWorkerShim(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Worker !== "undefined") return;
  g.Blob = TextKeepingBlob;
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob) => {
    const url = createObjectURL(obj);
    if (obj instanceof TextKeepingBlob && obj.keptText !== undefined) blobTexts.set(url, obj.keptText);
    return url;
  };
  g.Worker = NodeBackedWebWorker;
}

function installNavigator(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.navigator === "undefined") g.navigator = { hardwareConcurrency: availableParallelism() };
}

function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map === "function") return;
  const helpers: Record<string, (this: Iterator<unknown>, ...a: never[]) => unknown> = {
    *map(f: (v: unknown, i: number) => unknown) {
      let i = 0;
      for (const v of { [Symbol.iterator]: () => this }) yield f(v, i++);
    },
    *filter(f: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (const v of { [Symbol.iterator]: () => this }) if (f(v, i++)) yield v;
    },
    toArray() {
      return Array.from({ [Symbol.iterator]: () => this });
    },
    forEach(f: (v: unknown, i: number) => void) {
      let i = 0;
      for (const v of { [Symbol.iterator]: () => this }) f(v, i++);
    },
    some(f: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (const v of { [Symbol.iterator]: () => this }) if (f(v, i++)) return true;
      return false;
    },
    every(f: (v: unknown, i: number) => boolean) {
      let i = 0;
      for (const v of { [Symbol.iterator]: () => this }) if (!f(v, i++)) return false;
      return true;
    },
    reduce(f: (acc: unknown, v: unknown) => unknown, init: unknown) {
      let acc = init;
      for (const v of { [Symbol.iterator]: () => this }) acc = f(acc, v);
      return acc;
    },
  };
  for (const [name, fn] of Object.entries(helpers)) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
  }
}

installWorkerShim();
installNavigator();
installIteratorHelpers();
