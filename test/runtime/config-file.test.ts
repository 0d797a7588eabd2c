import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mergeConfig, readConfigFile } from "../../src/runtime/config-file.js";

const dir = mkdtempSync(join(tmpdir(), "portraitrl-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("mergeConfig", () => {
  it("merges mappings field by field; arrays and scalars replace; undefined keeps the base; neither input changes", () => {
    const base = { a: 1, o: { x: 1, y: [1, 2], deep: { k: "base" } }, list: [1, 2, 3], keep: "b" };
    const over = { o: { y: [9], deep: { extra: true } }, list: [4], keep: undefined, added: { z: 0 } };
    const before = structuredClone({ base, over });
    expect(mergeConfig(base, over)).toEqual({ a: 1, o: { x: 1, y: [9], deep: { k: "base", extra: true } }, list: [4], keep: "b", added: { z: 0 } });
    expect({ base, over }).toEqual(before);
  });

  it("a mapping over a scalar (or a scalar over a mapping) replaces it", () => {
    expect(mergeConfig({ shift: "tokens" }, { shift: { mu: 0.5 } })).toEqual({ shift: { mu: 0.5 } });
    expect(mergeConfig({ shift: { mu: 0.5 } }, { shift: "none" })).toEqual({ shift: "none" });
    expect(mergeConfig({ ema: { decay: 0.9 } }, { ema: null })).toEqual({ ema: null });
  });
});

describe("readConfigFile", () => {
  it("reads YAML and JSON mappings; an empty file is {}", () => {
    expect(readConfigFile(file("a.yaml", "epochs: 3\nsampling:\n  steps: 6\n"))).toEqual({ epochs: 3, sampling: { steps: 6 } });
    expect(readConfigFile(file("a.json", '{"epochs": 3}'))).toEqual({ epochs: 3 });
    expect(readConfigFile(file("empty.yaml", ""))).toEqual({});
  });

  it("one line naming the file (and the line of a YAML error), exit 2", () => {
    const cases: [string, RegExp][] = [
      [join(dir, "missing.yaml"), /missing\.yaml: cannot read config \(ENOENT/],
      [file("bad.yaml", "epochs: 3\nsampling: [1, 2\n"), /bad\.yaml:\d+: not valid YAML\/JSON/],
      [file("list.yaml", "- 1\n- 2\n"), /list\.yaml: the config must be a mapping of fields/],
      [file("scalar.yaml", "3\n"), /scalar\.yaml: the config must be a mapping of fields/],
    ];
    for (const [path, message] of cases) {
      let thrown: unknown;
      try {
        readConfigFile(path);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({ exitCode: 2 });
      expect(String((thrown as Error).message)).toMatch(message);
      expect((thrown as Error).message).not.toContain("\n");
    }
  });
});
