import { describe, expect, it } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { parseModelConfig, presetConfig, sequenceLength, PRESET_NAMES, parseLoraConfig } from "../../src/model/index.js";
import { userErrorOf } from "../user-error.js";


describe("model config", () => {
  it("presets are valid and keep the joint sequence a multiple of 4", () => {
    for (const name of PRESET_NAMES) {
      const c = presetConfig(name);
      expect(parseModelConfig(c, name)).toEqual(c);
      expect(sequenceLength(c) % 4).toBe(0);
    }
    expect(sequenceLength(presetConfig("small"))).toBe(132); // 4 + 64 + 64 (DESIGN §9)
  });

  it("a wrong type, an unknown field, or an inconsistent value names the field (exit 2)", () => {
    const c = presetConfig("small");
    let e = userErrorOf(() => parseModelConfig({ ...c, hidden: "96" }, "cfg.yaml"));
    expect(e.message).toMatch(/^cfg\.yaml: model config field hidden: /);
    expect(e.exitCode).toBe(2);
    e = userErrorOf(() => parseModelConfig({ ...c, hiden: 96 }, "cfg.yaml"));
    expect(e.message).toBe("cfg.yaml: model config field hiden: unknown field");
    e = userErrorOf(() => parseModelConfig({ ...c, textSlots: 3 }, "cfg.yaml"));
    expect(e.message).toMatch(/field textSlots: joint sequence 3 \+ 2·64 is not a multiple of 4/);
    e = userErrorOf(() => parseModelConfig({ ...c, ropeAxes: [4, 10, 12] }, "cfg.yaml"));
    expect(e.message).toMatch(/field ropeAxes: must be even and sum to the head dimension 24/);
    e = userErrorOf(() => parseModelConfig({ ...c, heads: 5 }, "cfg.yaml"));
    expect(e.message).toMatch(/field heads: /);
    e = userErrorOf(() => parseLoraConfig({ rank: 4, alpha: 8, targets: "mlp" }, "x"));
    expect(e.message).toMatch(/lora config field targets/);
    expect(userErrorOf(() => presetConfig("huge")).message).toMatch(/unknown model preset "huge"/);
  });

  it("the CLI prints one line naming the field and exits 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "prl-cfg-"));
    const file = join(dir, "m.yaml");
    writeFileSync(file, "heads: four\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "model", "info", "--preset", "tiny", "--config", file], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/m\.yaml: model config field heads: /);
  });
});
