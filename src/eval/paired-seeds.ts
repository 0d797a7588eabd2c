/**
 * Differences between two rows of a compare, paired by training seed (issue 18): for every seed k that
 * both rows have, d_k = (row's seed-k mean) − (baseline's seed-k mean); the cell is the mean of the d_k
 * with a 95% Student-t interval over seeds (tInterval95). The seed's SFT checkpoint, eval noise and test
 * records are shared by both rows and cancel, so this is the interval that says whether a method differs
 * from SFT or from NaSPO. An interval that excludes 0 is marked.
 */
import { metricOf, type EvalJson, type MetricName } from "./format.js";
import { tInterval95 } from "./student-t.js";
import type { ResultsTable, TableColumn, TableRowInput } from "./tables.js";

/** The judge's metrics and the pixel distances to the exact target (independent of every reward). */
export const PAIRED_METRICS: readonly MetricName[] = ["judge_dp", "judge_pf", "mse", "psnr", "ssim", "mse_figure", "psnr_figure", "ssim_figure"];

export interface PairedSeedCell {
  /** Mean over the paired seeds of row − baseline; null when no seed has both values. */
  mean: number | null;
  /** 95% t interval over seeds; null with fewer than 2 paired seeds. */
  ci95: [number, number] | null;
  n_seeds: number;
  /** Whether the interval lies on one side of 0 (null without an interval). */
  excludes_zero: boolean | null;
}

export interface PairedSeedRow {
  method: string;
  label: string;
  cells: Record<string, PairedSeedCell>;
}

export interface PairedSeedTable {
  baseline: string;
  baseline_label: string;
  metrics: MetricName[];
  rows: PairedSeedRow[];
}

/** One metric's paired difference of two lists of per-seed evals. */
export function pairedBySeed(row: readonly EvalJson[], baseline: readonly EvalJson[], metric: MetricName): PairedSeedCell {
  const base = new Map<number, number>();
  for (const e of baseline) {
    const v = metricOf(e.metrics, metric).mean;
    if (v !== null) base.set(e.seed, v);
  }
  const diffs: number[] = [];
  for (const e of row) {
    const v = metricOf(e.metrics, metric).mean;
    const b = base.get(e.seed);
    if (v !== null && b !== undefined) diffs.push(v - b);
  }
  if (diffs.length === 0) return { mean: null, ci95: null, n_seeds: 0, excludes_zero: null };
  if (diffs.length === 1) return { mean: diffs[0]!, ci95: null, n_seeds: 1, excludes_zero: null };
  const { mean, ci95 } = tInterval95(diffs);
  return { mean, ci95, n_seeds: diffs.length, excludes_zero: ci95[0] > 0 || ci95[1] < 0 };
}

export interface PairedRowInput {
  method: string;
  label: string;
  evals: readonly EvalJson[];
}

/** Every row but the baseline against the baseline; null when the baseline is not among the rows. */
export function pairedSeedTable(rows: readonly PairedRowInput[], baseline: string, metrics: readonly MetricName[] = PAIRED_METRICS): PairedSeedTable | null {
  const base = rows.find((r) => r.method === baseline);
  if (!base || base.evals.length === 0) return null;
  return {
    baseline,
    baseline_label: base.label,
    metrics: [...metrics],
    rows: rows
      .filter((r) => r.method !== baseline && r.evals.length > 0)
      .map((r) => ({ method: r.method, label: r.label, cells: Object.fromEntries(metrics.map((m) => [m, pairedBySeed(r.evals, base.evals, m)])) })),
  };
}

const signed = (x: number): string => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(4)}`;

/** `+0.0123 [+0.0040, +0.0206]*`: `*` when the interval excludes 0. */
export function formatPairedCell(c: PairedSeedCell): string {
  if (c.mean === null) return "—";
  if (c.ci95 === null) return `${signed(c.mean)} (1 seed)`;
  return `${signed(c.mean)} [${signed(c.ci95[0])}, ${signed(c.ci95[1])}]${c.excludes_zero ? "*" : ""}`;
}

/** The rows each table's differences are taken against: Table 1 (methods) and Table 3 (rewards). */
export const PAIRED_BASELINES = { table1: ["sft", "naspo"], table3: ["sft", "ours"] } as const;

/** The paired tables of one results table (its row labels) against each baseline that is among its rows. */
export function pairedTablesOf(table: ResultsTable, inputs: readonly TableRowInput[], baselines: readonly string[]): PairedSeedTable[] {
  const rows = inputs.map((inp) => ({ method: inp.method, label: table.rows.find((r) => r.method === inp.method)!.label, evals: inp.evals }));
  return baselines.flatMap((b) => pairedSeedTable(rows, b) ?? []);
}

/** A markdown table of the paired differences, with the column labels of `columns`. */
export function pairedSeedMarkdown(t: PairedSeedTable, title: string, columns: readonly TableColumn[]): string {
  const label = (m: MetricName) => columns.find((c) => c.metric === m)?.label ?? m;
  const line = (cells: string[]) => `| ${cells.map((s) => s.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [
    `**Paired differences (${title}): row − ${t.baseline_label}, paired by training seed.** Mean of the per-seed differences [95% t interval over seeds]; * the interval excludes 0.`,
    "",
    line(["Row", ...t.metrics.map(label)]),
    `| --- |${t.metrics.map(() => " ---: |").join("")}`,
    ...t.rows.map((r) => line([r.label, ...t.metrics.map((m) => formatPairedCell(r.cells[m]!))])),
    "",
  ].join("\n");
}
