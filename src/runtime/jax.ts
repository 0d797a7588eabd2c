/**
 * The one entry point to jax-js: the Node 20 shims are installed first (import order matters),
 * then the wasm backend is initialised once. Every other module imports jax-js through here.
 */
import "./node-shims.js";
import * as jax from "@jax-js/jax";

export { jax };
export const { numpy: np, nn, lax, random, tree } = jax;
export type JaxArray = jax.Array;

let ready: Promise<void> | undefined;

/** Initialise the wasm backend (multithreaded through the worker shim). Idempotent. */
export function initJax(): Promise<void> {
  ready ??= jax.init("wasm").then(() => {
    jax.defaultDevice("wasm");
  });
  return ready;
}
