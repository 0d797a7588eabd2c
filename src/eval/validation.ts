/**
 * The validation curve's scorer (issue 24): a LoRA on a fixed base, sampled on the first `samples` records
 * of the val split exactly as `portraitrl eval --split val --samples K` samples a checkpoint (the same
 * per-record noise, steps and engine) and scored by the eval judge (by default the held-out synthetic one)
 * and the pixel distances to the exact targets. `train --val-every` calls it with the eval EMA of its LoRA;
 * the means it returns are the ones eval.json would hold for that checkpoint on that subset.
 */
import { loadDataset, splitFile, type DatasetRecord } from "../data/index.js";
import type { ForwardEngine, LoraConfig, ModelConfig } from "../model/index.js";
import { buildJudge, checkJudgeConfig, type JudgeConfig } from "../reward/judge-config.js";
import type { Judge } from "../reward/types.js";
import { UserError } from "../runtime/errors.js";
import { evaluateEditor } from "./evaluate.js";
import { METRIC_NAMES } from "./format.js";
import { checkpointEditor, DEFAULT_EVAL_STEPS } from "./generate.js";
import { metricValue } from "./summary.js";

export interface ValidationScorerOptions {
  data: string;
  samples: number;
  model: ModelConfig;
  lora: LoraConfig;
  base: Float32Array;
  judge: JudgeConfig;
  engine: ForwardEngine;
  /** Eval seed (default 0, eval's default). */
  seed?: number;
}

export interface ValidationScore {
  n: number;
  seconds: number;
  means: Record<string, number | null>;
}

export interface ValidationScorer {
  score(lora: Float32Array): Promise<ValidationScore>;
  close(): Promise<void>;
}

/** Mean of each metric over the records that have a value (null when none has). */
function means(rows: Parameters<typeof metricValue>[0][]): Record<string, number | null> {
  return Object.fromEntries(
    METRIC_NAMES.map((m) => {
      const v = rows.map((r) => metricValue(r, m)).filter((x): x is number => x !== null);
      return [m, v.length ? v.reduce((a, b) => a + b, 0) / v.length : null];
    }),
  );
}

/** Checks the val split (one line when it is missing) and builds the judge once; call before any work. */
export async function openValidationScorer(o: ValidationScorerOptions): Promise<ValidationScorer> {
  if (!(await splitFile(o.data, "val"))) throw new UserError(`--val-every: ${o.data} has no val split (no val.jsonl)`, 2);
  const records: DatasetRecord[] = (await loadDataset(o.data, "val")).slice(0, o.samples);
  const synthetic = records.every((r) => r.attributes !== undefined);
  checkJudgeConfig(o.judge, synthetic, o.data);
  const ready = await buildJudge(o.judge, synthetic, o.data);
  const judge: Judge = ready.judge;
  return {
    async score(lora) {
      const t0 = performance.now();
      const editor = await checkpointEditor(
        { config: o.model, lora: o.lora, base: o.base, loraWeights: lora, extra: {}, state: null },
        { seed: o.seed ?? 0, steps: DEFAULT_EVAL_STEPS, engine: o.engine },
      );
      try {
        const rows = await evaluateEditor(editor, records, { size: o.model.imageSize, judge });
        return { n: rows.length, seconds: (performance.now() - t0) / 1000, means: means(rows) };
      } finally {
        await editor.dispose();
      }
    },
    close: () => judge.close(),
  };
}
