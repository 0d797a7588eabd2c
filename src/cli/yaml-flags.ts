/**
 * A YAML file of flag values for a command: each key is a long flag without its dashes (`judge-url`,
 * `returns`, …), each value what the flag would take (a list for a repeatable flag, true/false for a
 * switch; false for a `--no-` flag). A flag given on the command line wins over the file. An unknown key or a value of the wrong
 * shape is one line naming the file, its line and the key.
 */
import { readFileSync } from "node:fs";
import type { Command, Option } from "commander";
import { LineCounter, isMap, isScalar, parseDocument, type Pair } from "yaml";
import { UserError } from "../runtime/errors.js";

export function applyYamlFlags(cmd: Command, file: string, skip: readonly string[] = []): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new UserError(`${file}: cannot read the config file`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UserError(`${file}:${e.linePos?.[0].line ?? 1}: not valid YAML (${e.message.split("\n")[0]})`);
  }
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) throw new UserError(`${file}: expected a mapping of flag names to values`);
  const values = doc.toJS() as Record<string, unknown>;
  const options = cmd.options.filter((o) => o.long !== undefined && !skip.includes(o.long.slice(2)));
  for (const pair of doc.contents.items as Pair[]) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 1;
    const where = `${file}:${line}: ${key}`;
    const opt: Option | undefined = options.find((o) => o.long === `--${key}` && !o.negate);
    if (!opt) throw new UserError(`${where}: unknown key (known: ${options.filter((o) => !o.negate).map((o) => o.long!.slice(2)).join(", ")})`);
    const attr = opt.attributeName();
    if (cmd.getOptionValueSource(attr) === "cli") continue;
    const value = values[key];
    const negatable = cmd.options.some((o) => o.negate && o.attributeName() === attr);
    const repeatable = Array.isArray(opt.defaultValue);
    let v: unknown;
    if (value === false && negatable) {
      v = false;
    } else if (opt.isBoolean()) {
      if (typeof value !== "boolean") throw new UserError(`${where}: expected true or false`);
      v = value;
    } else if (repeatable) {
      const list = Array.isArray(value) ? value : [value];
      if (!list.every((x) => typeof x === "string" || typeof x === "number")) throw new UserError(`${where}: expected a list of strings`);
      v = list.map(String);
    } else {
      if (typeof value !== "string" && typeof value !== "number") throw new UserError(`${where}: expected a string or a number`);
      v = String(value);
    }
    cmd.setOptionValueWithSource(attr, v, "config");
  }
}
