/**
 * The results of a compare folder: Table 1 (methods) and Table 3 (rewards) from its eval folders, with
 * mean ± 95% CI over seeds (src/eval/tables.ts), and results.json: per row, every seed's metric means and
 * the aggregate. Both tables come from readCompareFolder, as in `portraitrl report`.
 */
import { METRIC_NAMES, metricOf, type MetricName } from "../eval/format.js";
import { buildTable1, buildTable3, readCompareFolder, tableToMarkdown, type ResultsTable, type TableRowInput } from "../eval/tables.js";
import { RESULTS_KIND } from "./manifest.js";

interface RowResults {
  label: string;
  /** One entry per finished seed: the eval folder (relative to the compare folder) and its metric means. */
  seeds: { seed: number; eval: string; metrics: Record<MetricName, number | null> }[];
  /** The table cell: mean over seeds and its 95% CI (t over seeds; bootstrap when one seed). */
  aggregate: Record<MetricName, { mean: number | null; ci95: [number, number] | null; n_seeds: number }>;
}

export interface CompareResults {
  table1: ResultsTable;
  table3: ResultsTable | null;
  /** Cells whose eval folder is missing. */
  missing: string[];
  json: Record<string, unknown>;
  markdown: string;
}

function rowResults(input: TableRowInput, table: ResultsTable): RowResults {
  const row = table.rows.find((r) => r.method === input.method)!;
  return {
    label: row.label,
    seeds: input.evals.map((e, i) => ({
      seed: e.seed,
      eval: input.sources?.[i] ?? "",
      metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, metricOf(e.metrics, m).mean])) as Record<MetricName, number | null>,
    })),
    aggregate: Object.fromEntries(METRIC_NAMES.map((m) => [m, { mean: row.cells[m].mean, ci95: row.cells[m].ci95, n_seeds: row.cells[m].n_seeds }])) as RowResults["aggregate"],
  };
}

/** Read every finished cell of the compare folder `dir` and build its tables and results.json. */
export async function collectResults(dir: string): Promise<CompareResults> {
  const cmp = await readCompareFolder(dir);
  const methodRows = cmp.rows.filter((r) => r.evals.length > 0);
  const table1 = buildTable1(methodRows);
  const table3 = cmp.rewards.length > 0 ? buildTable3(cmp.rewardRows) : null;
  const json = {
    kind: RESULTS_KIND,
    version: 1,
    created_at: new Date().toISOString(),
    seeds: cmp.seeds,
    missing: cmp.missing,
    methods: Object.fromEntries(methodRows.map((r) => [r.method, rowResults(r, table1)])),
    rewards: table3 ? Object.fromEntries(cmp.rewardRows.map((r) => [r.method, rowResults(r, table3)])) : {},
    table1,
    table3,
  };
  const markdown = [tableToMarkdown(table1), ...(table3 ? [tableToMarkdown(table3)] : [])].join("\n");
  return { table1, table3, missing: cmp.missing, json, markdown };
}
