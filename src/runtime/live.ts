/**
 * Counting live jax-js device buffers, for leak tests. jax-js 0.1.25 keeps its buffer table in a
 * private field of the backend, so this wraps the backend's `malloc` / `incRef` / `decRef` (the
 * public `Backend` interface in `dist/index.d.ts`) and keeps its own reference counts. The backend
 * object comes from `getBackend`, which the package does not re-export: it is found in the package's
 * backend chunk (`dist/backend-*.js`, the module `dist/index.js` itself imports, so the instance is
 * the same). Only buffers allocated after `trackLiveArrays()` are counted.
 */
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { initJax } from "./jax.js";

interface SlotBackend {
  malloc(size: number, initialData?: Uint8Array): number;
  incRef(slot: number): void;
  decRef(slot: number): void;
}

const refs = new Map<number, number>();
let tracking: Promise<void> | undefined;

async function findBackend(): Promise<SlotBackend> {
  const dist = dirname(createRequire(import.meta.url).resolve("@jax-js/jax"));
  const chunk = (await readdir(dist)).find((f) => /^backend-.*\.js$/.test(f));
  if (!chunk) throw new Error(`live-array tracking: no backend chunk in ${dist}`);
  const mod = (await import(pathToFileURL(join(dist, chunk)).href)) as Record<string, unknown>;
  const getBackend = Object.values(mod).find((v) => typeof v === "function" && v.name === "getBackend") as
    | ((device?: string) => SlotBackend)
    | undefined;
  if (!getBackend) throw new Error("live-array tracking: getBackend not found in the jax-js backend chunk");
  return getBackend("wasm");
}

/** Start counting live buffers (idempotent). */
export function trackLiveArrays(): Promise<void> {
  tracking ??= (async () => {
    await initJax();
    const backend = await findBackend();
    const malloc = backend.malloc.bind(backend);
    const incRef = backend.incRef.bind(backend);
    const decRef = backend.decRef.bind(backend);
    backend.malloc = (size, initialData) => {
      const slot = malloc(size, initialData);
      refs.set(slot, 1);
      return slot;
    };
    backend.incRef = (slot) => {
      incRef(slot);
      const r = refs.get(slot);
      if (r !== undefined) refs.set(slot, r + 1);
    };
    backend.decRef = (slot) => {
      decRef(slot);
      const r = refs.get(slot);
      if (r === undefined) return;
      if (r <= 1) refs.delete(slot);
      else refs.set(slot, r - 1);
    };
  })();
  return tracking;
}

/** Number of device buffers allocated since `trackLiveArrays()` that are still alive. */
export function liveArrayCount(): number {
  if (!tracking) throw new Error("liveArrayCount: call `await trackLiveArrays()` first");
  return refs.size;
}
