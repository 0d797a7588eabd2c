/**
 * Encoder rewards of the paper's Table 3 ablation (§4.3), with S(·,·) the cosine of embeddings:
 * - "clip-t":      R = S_CLIP(I_gen, I_tgt) + S_CLIP(I_gen, T)             (T: the instruction)
 * - "clip-i":      R = S_CLIP(I_gen, I_tgt) + [S_CLIP(I_gen, I_tgt) − S_CLIP(I_gen, I_ref)]
 * - "dino-i":      R = S_DINO(I_gen, I_tgt) + [S_DINO(I_gen, I_tgt) − S_DINO(I_gen, I_ref)]
 * - "directional": R = S_CLIP(I_gen, I_tgt) − S_CLIP(I_gen, I_ref)        (the directional term alone)
 * All read the target image, which is why the paper finds they generalise poorly. One objective.
 */
import { UserError } from "../runtime/errors.js";
import { cosine, type Embedder } from "./embedder.js";
import { requireTargets, type RewardItem, type RewardModel, type RewardScores } from "./reward-model.js";

export const ENCODER_VARIANTS = ["clip-t", "clip-i", "dino-i", "directional"] as const;
export type EncoderVariant = (typeof ENCODER_VARIANTS)[number];

export class EncoderRewardModel implements RewardModel {
  readonly name: string;
  readonly needsTarget = true;

  constructor(
    readonly variant: EncoderVariant,
    private readonly embedder: Embedder,
  ) {
    if (variant === "clip-t" && !embedder.embedTexts) throw new UserError(`reward clip-t needs an embedder with a text encoder; ${embedder.name} has none`);
    this.name = `${variant}(${embedder.name})`;
  }

  async score(items: readonly RewardItem[]): Promise<RewardScores> {
    const targets = requireTargets(this.variant, items);
    const [gen, tgt] = await Promise.all([this.embedder.embedImages(items.map((i) => i.generated)), this.embedder.embedImages(targets)]);
    const sTgt = gen.map((g, i) => cosine(g, tgt[i] as Float32Array));
    let s: number[];
    if (this.variant === "clip-t") {
      const txt = await (this.embedder.embedTexts as NonNullable<Embedder["embedTexts"]>)(items.map((i) => i.instruction));
      s = sTgt.map((st, i) => st + cosine(gen[i] as Float32Array, txt[i] as Float32Array));
    } else {
      const ref = await this.embedder.embedImages(items.map((i) => i.reference));
      const dir = gen.map((g, i) => (sTgt[i] as number) - cosine(g, ref[i] as Float32Array));
      s = this.variant === "directional" ? dir : sTgt.map((st, i) => st + (dir[i] as number));
    }
    const nan = s.filter((v) => Number.isNaN(v)).length;
    return {
      dp: s,
      pf: [...s],
      objectives: 1,
      diagnostics: { nanDp: nan, nanPf: nan, meanMass: Number.NaN, meanLatencyMs: 0, cacheHits: 0, errors: nan ? ["embedding with no direction (zero vector)"] : [] },
    };
  }

  async close(): Promise<void> {}
}
