/**
 * sweep.json: what a `portraitrl sweep` folder holds. Its `settings` fix the sweep (data, init by
 * sha256, preset, epochs, samples, training seed, trial count, subset seed, the grid, judge, base
 * configs); a second sweep into the same folder continues it only under the same settings (one line
 * names the first field that differs, exit 2). The criterion is not a setting: a sweep can be chosen
 * again under another one without training anything. `trials` records every trial (knobs, config
 * hash, folders, wall time, validation metrics, criterion value), `chosen` the trial picked per algorithm
 * and the sha256 of the `<algo>.yaml` written for it.
 */
import { z } from "zod";
import { METRIC_NAMES, metricOf, type EvalJson, type MetricName } from "../eval/format.js";
import { TABLE_COLUMNS } from "../eval/tables.js";
import { UserError } from "../runtime/errors.js";
import { firstDifference } from "../runtime/run-folder.js";
import { readRecord, type CompareSettings } from "./manifest.js";
import type { Knobs, SweepGrid } from "./sweep-grid.js";

export const SWEEP_KIND = "portraitrl-sweep";

/** A compare's settings (`configs`: sha256 of CONFIGS/<algo>.yaml, under each trial's knobs) and the sweep's own. */
export interface SweepSettings extends CompareSettings {
  /** Training and eval seed of every trial. */
  seed: number;
  trials: number;
  /** Seed of the subset drawn from a grid larger than `trials`. */
  grid_seed: number;
  grid: SweepGrid;
}

export interface TrialRecord {
  algo: string;
  trial: number;
  knobs: Knobs;
  /** Paths relative to the sweep folder. */
  config: string;
  config_sha256: string;
  run: string;
  eval: string;
  /** Seconds in the latest invocation (0 when it was already done) and over all of them. */
  seconds: number;
  seconds_total: number;
  skipped: boolean;
  /** Validation means per metric (a metric without a value: null); null until the trial's eval is read. */
  val: Record<MetricName, number | null> | null;
  criterion: number | null;
}

export interface ChosenTrial {
  trial: number;
  knobs: Knobs;
  criterion: number;
  /** `<algo>.yaml` in the sweep folder (for `compare --configs`) and its sha256. */
  file: string;
  file_sha256: string;
}

export interface SweepRecord {
  kind: typeof SWEEP_KIND;
  version: 1;
  settings: SweepSettings;
  grid_file: string;
  criterion: { name: string; higher_is_better: boolean; description: string };
  command: string[];
  versions: Record<string, string>;
  created_at: string;
  updated_at: string;
  /** Seconds the latest invocation took; and summed over the trials' totals. */
  wall_seconds: number;
  trial_seconds_total: number;
  trials: TrialRecord[];
  chosen: Record<string, ChosenTrial>;
  /** Algorithms where no trial had a value of the criterion. */
  unchosen: string[];
}

const recordSchema = z.looseObject({
  kind: z.literal(SWEEP_KIND),
  version: z.literal(1),
  settings: z.looseObject({ init_sha256: z.string(), trials: z.number().int() }),
  created_at: z.string(),
  trials: z.array(z.looseObject({ algo: z.string(), trial: z.number().int(), seconds_total: z.number() })),
});

/** The existing sweep.json, validated (exit 1 when corrupted; never overwritten then), or undefined. */
export function readSweepRecord(path: string): Promise<SweepRecord | undefined> {
  return readRecord<SweepRecord>(path, recordSchema);
}

/** Throws (exit 2) when the folder's sweep has other settings than this command. */
export function checkSweepContinuation(path: string, old: SweepSettings, now: SweepSettings): void {
  const field = firstDifference(old, now);
  if (field === null) return;
  const at = (x: unknown) => field.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], x);
  throw new UserError(`${path}: settings.${field} differs: ${JSON.stringify(at(old))} in the sweep folder, ${JSON.stringify(at(now))} in this command (use another --out, or the folder's settings)`, 2);
}

/** `judge-mean` (the default) or a table column's metric. */
export const CRITERIA = ["judge-mean", ...TABLE_COLUMNS.map((c) => c.metric)] as const;

export interface Criterion {
  name: string;
  higher_is_better: boolean;
  description: string;
  value(metrics: EvalJson["metrics"]): number | null;
}

/** The criterion by name; one line (exit 2) for an unknown one. */
export function criterionOf(name: string): Criterion {
  if (name === "judge-mean") {
    return {
      name,
      higher_is_better: true,
      description: "the eval judge's mean of Judge-DP and Judge-PF on the validation split (either missing: no value)",
      value: (m) => {
        const dp = metricOf(m, "judge_dp").mean;
        const pf = metricOf(m, "judge_pf").mean;
        return dp === null || pf === null ? null : (dp + pf) / 2;
      },
    };
  }
  const column = TABLE_COLUMNS.find((c) => c.metric === name);
  if (!column) throw new UserError(`--criterion "${name}": expected one of ${CRITERIA.join(", ")}`, 2);
  return {
    name,
    higher_is_better: column.higherIsBetter,
    description: `${column.label} on the validation split (${column.higherIsBetter ? "higher" : "lower"} is better)`,
    value: (m) => metricOf(m, column.metric).mean,
  };
}

/** The validation means of an eval. */
export function valMeans(metrics: EvalJson["metrics"]): Record<MetricName, number | null> {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, metricOf(metrics, m).mean])) as Record<MetricName, number | null>;
}

/** The index of the best trial by the criterion (the first on ties); null when none has a value. */
export function bestTrial(values: readonly (number | null)[], higherIsBetter: boolean): number | null {
  let best: number | null = null;
  values.forEach((v, i) => {
    if (v === null) return;
    const b = best === null ? null : values[best]!;
    if (b === null || (higherIsBetter ? v > b : v < b)) best = i;
  });
  return best;
}
