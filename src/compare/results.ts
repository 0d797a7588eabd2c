/**
 * The results of a compare folder: Table 1 (methods) and Table 3 (rewards) from its eval folders, with
 * mean ± 95% CI over seeds (src/eval/tables.ts), the differences paired by seed against SFT and against
 * NaSPO (Table 3: against SFT and `ours`; src/eval/paired-seeds.ts), and results.json: per row, every
 * seed's metric means, the aggregate and the paired differences. The tables come from
 * readCompareFolder, as in `portraitrl report`.
 */
import { METRIC_NAMES, metricOf, type MetricName } from "../eval/format.js";
import { PAIRED_BASELINES, pairedSeedMarkdown, pairedTablesOf, type PairedSeedCell, type PairedSeedTable } from "../eval/paired-seeds.js";
import { buildTable1, buildTable3, readCompareFolder, tableToMarkdown, TABLE_COLUMNS, type ResultsTable, type TableRowInput } from "../eval/tables.js";
import { RESULTS_KIND } from "./manifest.js";

interface RowResults {
  label: string;
  /** One entry per finished seed: the eval folder (relative to the compare folder) and its metric means. */
  seeds: { seed: number; eval: string; metrics: Record<MetricName, number | null> }[];
  /** The table cell: mean over seeds and its 95% CI (t over seeds; bootstrap when one seed). */
  aggregate: Record<MetricName, { mean: number | null; ci95: [number, number] | null; n_seeds: number }>;
  /** Per baseline ("vs_sft", "vs_naspo" / "vs_ours"): this row − the baseline, paired by seed, per metric. */
  paired: Record<string, Record<string, PairedSeedCell>>;
}

export interface CompareResults {
  table1: ResultsTable;
  table3: ResultsTable | null;
  /** Cells whose eval folder is missing. */
  missing: string[];
  json: Record<string, unknown>;
  markdown: string;
  /** The paired-difference tables alone (markdown), for the terminal. */
  pairedMarkdown: string;
}

function rowResults(input: TableRowInput, table: ResultsTable, paired: readonly PairedSeedTable[]): RowResults {
  const row = table.rows.find((r) => r.method === input.method)!;
  const vs = paired.flatMap((p) => {
    const r = p.rows.find((x) => x.method === input.method);
    return r ? [[`vs_${p.baseline}`, r.cells] as const] : [];
  });
  return {
    label: row.label,
    seeds: input.evals.map((e, i) => ({
      seed: e.seed,
      eval: input.sources?.[i] ?? "",
      metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, metricOf(e.metrics, m).mean])) as Record<MetricName, number | null>,
    })),
    aggregate: Object.fromEntries(METRIC_NAMES.map((m) => [m, { mean: row.cells[m].mean, ci95: row.cells[m].ci95, n_seeds: row.cells[m].n_seeds }])) as RowResults["aggregate"],
    paired: Object.fromEntries(vs),
  };
}

/** Read every finished cell of the compare folder `dir` and build its tables and results.json. */
export async function collectResults(dir: string): Promise<CompareResults> {
  const cmp = await readCompareFolder(dir);
  const methodRows = cmp.rows.filter((r) => r.evals.length > 0);
  const table1 = buildTable1(methodRows);
  const table3 = cmp.rewards.length > 0 ? buildTable3(cmp.rewardRows) : null;
  const paired1 = pairedTablesOf(table1, methodRows, PAIRED_BASELINES.table1);
  const paired3 = table3 ? pairedTablesOf(table3, cmp.rewardRows, PAIRED_BASELINES.table3) : [];
  const json = {
    kind: RESULTS_KIND,
    version: 1,
    created_at: new Date().toISOString(),
    seeds: cmp.seeds,
    missing: cmp.missing,
    methods: Object.fromEntries(methodRows.map((r) => [r.method, rowResults(r, table1, paired1)])),
    rewards: table3 ? Object.fromEntries(cmp.rewardRows.map((r) => [r.method, rowResults(r, table3, paired3)])) : {},
    table1,
    table3,
    paired: { table1: paired1, table3: paired3 },
  };
  const pairedMarkdown = [...paired1.map((p) => pairedSeedMarkdown(p, "Table 1", TABLE_COLUMNS)), ...paired3.map((p) => pairedSeedMarkdown(p, "Table 3", TABLE_COLUMNS))].join("\n");
  const markdown = [tableToMarkdown(table1), ...(table3 ? [tableToMarkdown(table3)] : []), pairedMarkdown].join("\n");
  return { table1, table3, missing: cmp.missing, json, markdown, pairedMarkdown };
}
