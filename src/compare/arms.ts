/**
 * Ablation arms of a compare (issue 18): a row of Table 1 (in `--algos`) or of Table 3 (in `--rewards`)
 * that trains an algorithm under a config override, written `NAME=ALGO:OVERRIDE.yaml`, e.g.
 *   --algos sft,diffusion-nft,naspo,naspo-sigma-half=naspo:configs/arms/sigma-half.yaml
 *   --rewards ours,dual-pd,raw-sum=naspo:configs/arms/raw-sum.yaml
 * The arm's training config is CONFIGS/<ALGO>.yaml (when `--configs` has one) deep-merged with the
 * override (the override wins; lists replace), so an arm changes exactly the fields its file names on
 * top of the config its algorithm runs with. Any field `train --config` takes may be overridden.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import YAML from "yaml";
import { UserError } from "../runtime/errors.js";
import { mergeConfig } from "../runtime/config-file.js";

export interface Arm {
  name: string;
  algo: string;
  /** The override file (absolute). */
  override: string;
}

const ARM = /^([a-z0-9][a-z0-9._-]*)=([a-z0-9-]+):(.+)$/;

/** `NAME=ALGO:FILE` → the arm; a plain name → null. One line (exit 2) for a malformed arm, an unknown algorithm or a missing file. */
export function parseArm(flag: string, text: string, algos: readonly string[]): Arm | null {
  if (!text.includes("=")) return null;
  const m = ARM.exec(text);
  if (!m) throw new UserError(`${flag}: arm "${text}": expected NAME=ALGO:OVERRIDE.yaml (NAME: lower-case letters, digits, . _ -)`, 2);
  const [, name, algo, file] = m as unknown as [string, string, string, string];
  if (!algos.includes(algo)) throw new UserError(`${flag}: arm ${name}: unknown algorithm "${algo}"; valid: ${algos.join(", ")}`, 2);
  if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`${flag}: arm ${name}: ${file}: no such file`, 2);
  return { name, algo, override: resolve(file) };
}

/** The arm's training config: the algorithm's config (or none) with the override on top. */
export function overlayConfig(base: Record<string, unknown> | null, override: Record<string, unknown>): Record<string, unknown> {
  return mergeConfig(base ?? {}, override) as Record<string, unknown>;
}

/** A config as the YAML text written for `train --config`, with a header saying where it came from. */
export function configYaml(config: Record<string, unknown>, header: readonly string[]): string {
  return `${header.map((l) => `# ${l}`).join("\n")}\n${YAML.stringify(config)}`;
}
