/**
 * The one reader and merger of config files (SFT configs, RL train configs, compare arms and sweep trials):
 * a YAML/JSON file read to a plain mapping, and the deep merge that lays a file over defaults and flags
 * over a file. A file that cannot be read, is not YAML, or is not a mapping is one line naming the file
 * (and, for a YAML error, its line), exit 2.
 */
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { UserError } from "./errors.js";

export type ConfigMapping = Record<string, unknown>;

export const isConfigMapping = (x: unknown): x is ConfigMapping => typeof x === "object" && x !== null && !Array.isArray(x);

/** Deep merge of plain objects: `over` wins, arrays and scalars replace, an undefined value keeps `base`'s. Neither argument is changed. */
export function mergeConfig(base: ConfigMapping, over: ConfigMapping): ConfigMapping {
  const out: ConfigMapping = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = isConfigMapping(b) && isConfigMapping(v) ? mergeConfig(b, v) : v;
  }
  return out;
}

/** Read a YAML/JSON config file to a mapping (an empty file is `{}`). */
export function readConfigFile(file: string): ConfigMapping {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(`${file}: cannot read config (${(e as Error).message.split("\n")[0]})`, 2);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const error = doc.errors[0];
  if (error) throw new UserError(`${file}:${error.linePos?.[0].line ?? 1}: not valid YAML/JSON (${error.message.split("\n")[0]})`, 2);
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) return {};
  if (!isConfigMapping(raw)) throw new UserError(`${file}: the config must be a mapping of fields`, 2);
  return raw;
}
