/** The versions every output records (portraitrl, Node, jax-js), and the package.json reads behind them: one owner. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const req = createRequire(import.meta.url);

/** The installed version of package `spec` (its nearest package.json above its entry point). */
export function packageVersion(spec: string): string {
  let dir = dirname(req.resolve(spec));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}

/** This package's version. */
export function ownVersion(): string {
  return (req("../../package.json") as { version: string }).version;
}

/** portraitrl, Node and jax-js versions, as every output records them (an engine adds its own: model/forward.ts `engineVersions`). */
export function versions(): { portraitrl: string; node: string; jax_js: string } {
  return { portraitrl: ownVersion(), node: process.version, jax_js: packageVersion("@jax-js/jax") };
}
