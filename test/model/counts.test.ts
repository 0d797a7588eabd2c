/**
 * Parameter counts of the real FLUX.1 Kontext [dev] shapes (shape-only), computed by hand from the
 * module shapes, against the spec and the `model info` command.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { buildModel, presetConfig, type LoraConfig } from "../../src/model/index.js";

const H = 3072;
const MLP = 12288;
const r = 64;
const DOUBLE = 19;
const SINGLE = 38;
const square = r * (H + H); // a 3072 → 3072 Linear
const up = r * (H + MLP); // 3072 → 12288 or back

const byHand = {
  // per double block: 8 attention projections (H→H) [+ 4 feed-forward Linears]; per single block: to_q/k/v [+ proj_mlp]
  "attention-only": DOUBLE * 8 * square + SINGLE * 3 * square,
  "diffusers-default": DOUBLE * (8 * square + 4 * up) + SINGLE * 3 * square,
  "flow-grpo": DOUBLE * (8 * square + 4 * up) + SINGLE * (3 * square + up),
};
// anchors-evaluation.md §5.3, rank 64, in millions (rounded to 0.1 M).
const table = { "diffusers-default": 179.3, "attention-only": 104.6, "flow-grpo": 216.7 };

describe("flux-kontext-dev parameter counts", () => {
  const c = presetConfig("flux-kontext-dev");

  it("LoRA rank 64 trainable counts equal the hand computation and round to the §5.3 table", () => {
    for (const targets of ["diffusers-default", "attention-only", "flow-grpo"] as const) {
      const m = buildModel(c, { rank: r, alpha: 128, targets } satisfies LoraConfig);
      expect(m.loraSize).toBe(byHand[targets]);
      expect(Math.round(m.loraSize / 1e5) / 10).toBe(table[targets]);
    }
  });

  it("base count is FLUX.1-dev's 11.9 B, computed by hand", () => {
    const m = buildModel(c);
    const lin = (i: number, o: number): number => i * o + o;
    const double = 2 * lin(H, 6 * H) + 8 * lin(H, H) + 4 * 128 + 2 * (lin(H, MLP) + lin(MLP, H));
    const single = lin(H, 3 * H) + lin(H, MLP) + lin(H + MLP, H) + 3 * lin(H, H) + 2 * 128;
    const embed = lin(64, H) + lin(4096, H) + 2 * (lin(256, H) + lin(H, H)) + lin(768, H) + lin(H, H);
    const out = lin(H, 2 * H) + lin(H, 64);
    expect(m.baseSize).toBe(embed + DOUBLE * double + SINGLE * single + out);
    expect(m.baseSize).toBe(11_901_408_320); // the published diffusers FluxTransformer2DModel count
  });

  it("`portraitrl model info` prints the same exact integers", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "model", "info", "--preset", "flux-kontext-dev", "--lora-rank", "64", "--lora-targets", "flow-grpo"], { encoding: "utf8" });
    const info = JSON.parse(out) as { base: number; trainable: number; preset: string };
    expect(info.preset).toBe("flux-kontext-dev");
    expect(info.base).toBe(11_901_408_320);
    expect(info.trainable).toBe(byHand["flow-grpo"]);
  });
});
