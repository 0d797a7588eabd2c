/**
 * The eval folder format (scratch/FORMATS.md, fixed by the lead): `eval.json` + `samples.jsonl` + images.
 * Schemas and types only; reading and writing live in folder.ts.
 *
 * Extension: a sample row may carry `clip_i`, `dino_i`, `clip_t` (number | null, optional): the per-sample
 * embedding similarities, so that the eval.json means can be recomputed and bootstrapped from the rows.
 * Extension (issue 17): the pixel distances to the exact target (metrics/pixel-distance.ts) in rows and
 * in the metrics block; both optional, so eval folders written before them still read.
 */
import { z } from "zod";
import { FORWARD_ENGINES } from "../model/index.js";

/** Distance to the exact target in pixel space: shares no code with any reward. */
export const PIXEL_METRICS = ["mse", "psnr", "ssim", "mse_figure", "psnr_figure", "ssim_figure"] as const;
export type PixelMetric = (typeof PIXEL_METRICS)[number];

export const METRIC_NAMES = [
  "judge_dp", "judge_pf", "gt_pose", "gt_oks", "gt_detail", "copy_paste_rate", "clip_i", "dino_i", "clip_t", ...PIXEL_METRICS,
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
const isPixelMetric = (m: MetricName): m is PixelMetric => (PIXEL_METRICS as readonly string[]).includes(m);

const nullableNumber = z.number().nullable();

export const metricSummarySchema = z.strictObject({
  mean: nullableNumber,
  ci95: z.tuple([z.number(), z.number()]).nullable(),
  n: z.number().int().nonnegative(),
});
export type MetricSummary = z.infer<typeof metricSummarySchema>;

export const metricsBlockSchema = z.strictObject(
  Object.fromEntries(METRIC_NAMES.map((m) => [m, isPixelMetric(m) ? metricSummarySchema.optional() : metricSummarySchema])) as Record<
    Exclude<MetricName, PixelMetric>, typeof metricSummarySchema
  > & Record<PixelMetric, z.ZodOptional<typeof metricSummarySchema>>,
);
export type MetricsBlock = Record<MetricName, MetricSummary>;

export const evalJsonSchema = z.looseObject({
  kind: z.literal("portraitrl-eval"),
  version: z.literal(1),
  method: z.string().min(1),
  checkpoint: z.string(),
  checkpoint_sha256: z.string(),
  /**
   * Which weights were sampled: "base-ema" (an SFT checkpoint's EMA), "lora-ema" (an RL run's eval EMA of
   * its LoRA), "trained" (no EMA used); null for the checkpoint-free editors; absent in older folders.
   */
  weights: z.enum(["base-ema", "lora-ema", "trained"]).nullable().optional(),
  split: z.string().min(1),
  /** The forward engine that sampled a checkpoint (model/forward.ts); absent for the checkpoint-free editors and in older folders. */
  engine: z.enum(FORWARD_ENGINES).optional(),
  seed: z.number().int(),
  steps: z.number().int().positive(),
  judge: z.looseObject({
    name: z.string().min(1),
    model: z.string().nullable(),
    prompt_sha256: z.looseObject({ dp: z.string().nullable(), pf: z.string().nullable() }),
    levels: z.array(z.number()),
  }),
  embedders: z.looseObject({ clip: z.string().nullable(), dino: z.string().nullable() }),
  versions: z.looseObject({ portraitrl: z.string(), node: z.string(), jax_js: z.string() }),
  created_at: z.string().min(1),
  metrics: metricsBlockSchema,
});
export type EvalJson = z.infer<typeof evalJsonSchema>;

const NO_VALUE: MetricSummary = { mean: null, ci95: null, n: 0 };

/** One metric of an eval.json; a metric the folder predates (a pixel distance) reads as having no value. */
export function metricOf(metrics: EvalJson["metrics"], m: MetricName): MetricSummary {
  return metrics[m] ?? NO_VALUE;
}
/** What the eval command supplies; kind, version and metrics are filled in when the folder is written. */
export const evalMetaSchema = evalJsonSchema
  .omit({ kind: true, version: true, metrics: true, created_at: true })
  .extend({ created_at: z.string().min(1).optional() });
export type EvalMeta = z.infer<typeof evalMetaSchema>;

export const sampleRowSchema = z.strictObject({
  id: z.string().min(1),
  instruction: z.string(),
  reference_image: z.string().min(1),
  generated_image: z.string().min(1),
  target_image: z.string().min(1).nullable(),
  judge_dp: nullableNumber,
  judge_pf: nullableNumber,
  gt_pose: nullableNumber,
  gt_oks: nullableNumber,
  gt_detail: nullableNumber,
  copy_paste: z.boolean().nullable(),
  clip_i: nullableNumber.optional(),
  dino_i: nullableNumber.optional(),
  clip_t: nullableNumber.optional(),
  ...(Object.fromEntries(PIXEL_METRICS.map((m) => [m, nullableNumber.optional()])) as Record<PixelMetric, z.ZodOptional<typeof nullableNumber>>),
});
export type SampleRow = z.infer<typeof sampleRowSchema>;

/** The per-sample metric values of a row, without its paths. */
export type SampleScores = Pick<SampleRow, "judge_dp" | "judge_pf" | "gt_pose" | "gt_oks" | "gt_detail" | "copy_paste" | "clip_i" | "dino_i" | "clip_t" | PixelMetric>;

