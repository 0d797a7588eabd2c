/**
 * Result tables in the layouts of the paper: Table 1 (methods × metrics) and Table 3 (reward ablations),
 * as JSON, markdown (best in bold, second best underlined, as the paper) and a terminal table.
 *
 * A cell combines the eval folders of one row (one per training seed): one folder → its own mean and
 * bootstrap CI over test samples; k ≥ 2 folders → the mean of the per-seed means with a 95% t interval
 * over seeds (tInterval95), so the CI reflects seed-to-seed variation.
 */
import { readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { UserError } from "../runtime/errors.js";
import { readEvalFolder, type EvalFolder } from "./folder.js";
import { metricOf, type EvalJson, type MetricName } from "./format.js";
import { tInterval95 } from "./student-t.js";

export interface TableColumn {
  metric: MetricName;
  label: string;
  higherIsBetter: boolean;
}

/**
 * The paper's five columns; then the synthetic benchmark's recognizer columns (the judge's recognizer
 * reading the generated image against the record's attributes: not independent of the synthetic judge);
 * then the pixel distances to the exact target, which share no code with any reward.
 */
export const TABLE_COLUMNS: readonly TableColumn[] = [
  { metric: "clip_i", label: "CLIP-I", higherIsBetter: true },
  { metric: "dino_i", label: "DINO-I", higherIsBetter: true },
  { metric: "clip_t", label: "CLIP-T", higherIsBetter: true },
  { metric: "judge_dp", label: "Judge-DP", higherIsBetter: true },
  { metric: "judge_pf", label: "Judge-PF", higherIsBetter: true },
  { metric: "gt_pose", label: "Rec-pose", higherIsBetter: true },
  { metric: "gt_oks", label: "Rec-OKS", higherIsBetter: true },
  { metric: "gt_detail", label: "Rec-detail", higherIsBetter: true },
  { metric: "copy_paste_rate", label: "Copy-paste ↓", higherIsBetter: false },
  { metric: "mse", label: "MSE ↓", higherIsBetter: false },
  { metric: "psnr", label: "PSNR", higherIsBetter: true },
  { metric: "ssim", label: "SSIM", higherIsBetter: true },
  { metric: "mse_figure", label: "Fig-MSE ↓", higherIsBetter: false },
  { metric: "psnr_figure", label: "Fig-PSNR", higherIsBetter: true },
  { metric: "ssim_figure", label: "Fig-SSIM", higherIsBetter: true },
];

export interface TableCell {
  mean: number | null;
  ci95: [number, number] | null;
  /** Seeds (eval folders) with a value. */
  n_seeds: number;
  /** Test samples with a value, summed over seeds. */
  n: number;
}

export interface TableRow {
  method: string;
  label: string;
  paradigm: string;
  cells: Record<MetricName, TableCell>;
  /** Eval folders behind the row (as given). */
  sources: string[];
}

export interface ResultsTable {
  layout: "table1" | "table3";
  title: string;
  first_column: string;
  columns: TableColumn[];
  rows: TableRow[];
  /** Per metric: row indices of the best and second-best means (ties share a rank at 4 decimals). */
  best: Partial<Record<MetricName, number[]>>;
  second: Partial<Record<MetricName, number[]>>;
  notes: string[];
}

export interface TableRowInput {
  method: string;
  label?: string;
  paradigm?: string;
  evals: readonly EvalJson[];
  sources?: readonly string[];
}

const KNOWN_METHODS: Record<string, { label: string; paradigm: string }> = {
  init: { label: "Init (no post-training)", paradigm: "ZS" },
  sft: { label: "+SFT", paradigm: "SFT" },
  "sft-continued": { label: "+SFT, continued", paradigm: "SFT" },
  "flow-grpo": { label: "+FlowGRPO", paradigm: "RL" },
  "diffusion-nft": { label: "+DiffusionNFT", paradigm: "RL" },
  "uniworld-v2": { label: "+UniWorld-V2", paradigm: "RL" },
  naspo: { label: "+PortraitRL (NaSPO)", paradigm: "RL" },
  "copy-reference": { label: "Copy the reference", paradigm: "control" },
  "oracle-target": { label: "Oracle target", paradigm: "control" },
};

/** Reward labels of Table 3 for the `compare --rewards` names. */
export const REWARD_LABELS: Record<string, string> = {
  sft: "- (SFT)",
  "clip-t": "CLIP-T",
  "clip-i": "CLIP-I",
  "dino-i": "DINO-I",
  "dual-pd": "Dual-PD",
  ours: "Ours",
};

function combine(evals: readonly EvalJson[], metric: MetricName): TableCell {
  const withValue = evals.map((e) => metricOf(e.metrics, metric)).filter((m) => m.mean !== null);
  const n = withValue.reduce((a, m) => a + m.n, 0);
  if (withValue.length === 0) return { mean: null, ci95: null, n_seeds: 0, n: 0 };
  if (withValue.length === 1) {
    const m = withValue[0]!;
    return { mean: m.mean, ci95: m.ci95, n_seeds: 1, n };
  }
  const { mean, ci95 } = tInterval95(withValue.map((m) => m.mean as number));
  return { mean, ci95, n_seeds: withValue.length, n };
}

function ranks(rows: readonly TableRow[], col: TableColumn): { best: number[]; second: number[] } {
  const key = (v: number) => Math.round(v * 1e4);
  const values = [...new Set(rows.flatMap((r) => (r.cells[col.metric].mean === null ? [] : [key(r.cells[col.metric].mean as number)])))];
  values.sort((a, b) => (col.higherIsBetter ? b - a : a - b));
  const pick = (v: number | undefined) =>
    v === undefined ? [] : rows.flatMap((r, i) => (r.cells[col.metric].mean !== null && key(r.cells[col.metric].mean as number) === v ? [i] : []));
  return { best: pick(values[0]), second: rows.length > 2 ? pick(values[1]) : [] };
}

function buildTable(layout: "table1" | "table3", inputs: readonly TableRowInput[], title: string, firstColumn: string): ResultsTable {
  const columns = [...TABLE_COLUMNS];
  const rows: TableRow[] = inputs.map((inp) => {
    const known = KNOWN_METHODS[inp.method];
    const label = inp.label ?? (layout === "table3" ? (REWARD_LABELS[inp.method] ?? inp.method) : (known?.label ?? inp.method));
    const cells = Object.fromEntries(columns.map((c) => [c.metric, combine(inp.evals, c.metric)])) as Record<MetricName, TableCell>;
    return { method: inp.method, label, paradigm: inp.paradigm ?? known?.paradigm ?? "", cells, sources: [...(inp.sources ?? [])] };
  });
  const best: ResultsTable["best"] = {};
  const second: ResultsTable["second"] = {};
  for (const c of columns) {
    const r = ranks(rows, c);
    best[c.metric] = r.best;
    second[c.metric] = r.second;
  }
  const notes: string[] = [];
  const judges = [...new Set(inputs.flatMap((i) => i.evals.map((e) => `${e.judge.name}${e.judge.model ? ` (${e.judge.model})` : ""}`)))];
  if (judges.length > 0) notes.push(`Judge: ${judges.join(", ")}.`);
  const splits = [...new Set(inputs.flatMap((i) => i.evals.map((e) => e.split)))];
  if (splits.length > 0) notes.push(`Split: ${splits.join(", ")}.`);
  notes.push("Mean ± half-width of the 95% CI: bootstrap over test samples for one seed, t interval over seeds for several.");
  const missing = columns.filter((c) => rows.every((r) => r.cells[c.metric].mean === null)).map((c) => c.label);
  if (missing.length > 0) notes.push(`Not computed: ${missing.join(", ")}.`);
  return { layout, title, first_column: firstColumn, columns, rows, best, second, notes };
}

/** Table 1: methods × metrics (the paper's quantitative comparison). */
export function buildTable1(inputs: readonly TableRowInput[]): ResultsTable {
  return buildTable("table1", inputs, "Table 1. Quantitative comparison", "Method");
}

/** Table 3: reward settings × metrics (the paper's reward ablation). `method` is the reward name. */
export function buildTable3(inputs: readonly TableRowInput[]): ResultsTable {
  return buildTable("table3", inputs, "Table 3. Ablation on reward settings", "Reward");
}

/** Group eval folders into rows by their `method`, in order of first appearance. */
export function rowsFromEvalFolders(folders: readonly EvalFolder[], base?: string): TableRowInput[] {
  const rows = new Map<string, { evals: EvalJson[]; sources: string[] }>();
  for (const f of folders) {
    let r = rows.get(f.eval.method);
    if (!r) rows.set(f.eval.method, (r = { evals: [], sources: [] }));
    r.evals.push(f.eval);
    r.sources.push(base ? relative(base, f.dir) : f.dir);
  }
  return [...rows].map(([method, r]) => ({ method, evals: r.evals, sources: r.sources }));
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export interface CompareFolderEvals {
  methods: string[];
  seeds: number[];
  /** The reward ablation's rewards (compare.json `rewards`; none when absent). */
  rewards: string[];
  /** Rows in compare.json's method order; a method with no finished eval yet has `evals: []`. */
  rows: TableRowInput[];
  /** Table 3's rows (rewardRows); empty without rewards. */
  rewardRows: TableRowInput[];
  /** Every finished cell, in method then seed order. */
  cells: { method: string; seed: number; folder: EvalFolder }[];
  /** Cells (method/seed) whose eval folder is missing: the compare is unfinished. */
  missing: string[];
}

/** Read compare.json and every finished `<method>/seed<k>/eval/` of a compare folder. */
export async function readCompareFolder(dir: string): Promise<CompareFolderEvals> {
  const path = join(dir, "compare.json");
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found (not a compare folder)" : `malformed JSON (${(err as Error).message})`;
    throw new UserError(`${path}: ${why}`, 1);
  }
  const obj = raw as { kind?: unknown; methods?: unknown; seeds?: unknown; rewards?: unknown; arms?: Record<string, { algo?: unknown }> };
  if (obj.kind !== "portraitrl-compare") throw new UserError(`${path}: kind: expected "portraitrl-compare"`, 1);
  if (!Array.isArray(obj.methods) || !obj.methods.every((m) => typeof m === "string" && m.length > 0)) {
    throw new UserError(`${path}: methods: expected an array of method names`, 1);
  }
  if (!Array.isArray(obj.seeds) || !obj.seeds.every((s) => Number.isInteger(s))) throw new UserError(`${path}: seeds: expected an array of integers`, 1);
  if (obj.rewards !== undefined && !(Array.isArray(obj.rewards) && obj.rewards.every((r) => typeof r === "string"))) {
    throw new UserError(`${path}: rewards: expected an array of reward names`, 1);
  }
  const methods = obj.methods as string[];
  const seeds = obj.seeds as number[];
  const rewards = (obj.rewards ?? []) as string[];
  const cells: CompareFolderEvals["cells"] = [];
  const rows: TableRowInput[] = [];
  const missing: string[] = [];
  for (const method of methods) {
    const folders = await seedFolders(dir, method, seeds);
    for (const seed of seeds) if (!folders.has(seed)) missing.push(`${method}/seed${seed}`);
    for (const [seed, folder] of folders) cells.push({ method, seed, folder });
    const armAlgo = obj.arms?.[method]?.algo;
    const paradigm = typeof armAlgo === "string" ? KNOWN_METHODS[armAlgo]?.paradigm : undefined; // an ablation arm is of its algorithm's paradigm
    rows.push({ ...rowOf(dir, method, [...folders.values()]), ...(paradigm ? { paradigm } : {}) });
  }
  return { methods, seeds, rewards, rows, rewardRows: await rewardRows(dir, seeds, rewards, rows), cells, missing };
}

/** The finished `<folder>/seed<k>/eval/` of each seed, in seed order. */
async function seedFolders(dir: string, folder: string, seeds: readonly number[]): Promise<Map<number, EvalFolder>> {
  const found = new Map<number, EvalFolder>();
  for (const seed of seeds) {
    const evalDir = join(dir, folder, `seed${seed}`, "eval");
    if (await isDir(evalDir)) found.set(seed, await readEvalFolder(evalDir));
  }
  return found;
}

/** A table row from eval folders, with their paths relative to the compare folder. */
function rowOf(dir: string, method: string, folders: readonly EvalFolder[]): TableRowInput {
  return { method, evals: folders.map((f) => f.eval), sources: folders.map((f) => relative(resolve(dir), f.dir)) };
}

/**
 * Table 3 rows of a compare run with `--rewards`: "- (SFT)" from the sft method, then each reward from
 * `reward-<name>/seed<k>/eval/`; "ours" falls back to the naspo method when it has no folder of its own.
 */
async function rewardRows(dir: string, seeds: readonly number[], names: readonly string[], methodRows: readonly TableRowInput[]): Promise<TableRowInput[]> {
  if (names.length === 0) return [];
  const rows: TableRowInput[] = [];
  const sft = methodRows.find((r) => r.method === "sft");
  if (sft && sft.evals.length > 0) rows.push({ ...sft, label: REWARD_LABELS.sft! });
  for (const name of names) {
    const folders = [...(await seedFolders(dir, `reward-${name}`, seeds)).values()];
    const fallback = name === "ours" && folders.length === 0 ? methodRows.find((r) => r.method === "naspo") : undefined;
    if (fallback && fallback.evals.length > 0) rows.push({ ...fallback, method: name, label: REWARD_LABELS.ours! });
    else if (folders.length > 0) rows.push(rowOf(dir, name, folders));
  }
  return rows;
}

function fmt(cell: TableCell): string {
  if (cell.mean === null) return "—";
  const m = cell.mean.toFixed(4);
  if (cell.ci95 === null) return m;
  return `${m} ± ${((cell.ci95[1] - cell.ci95[0]) / 2).toFixed(4)}`;
}

function headerCells(t: ResultsTable): string[] {
  return [t.first_column, ...(t.layout === "table1" ? ["Paradigm"] : []), ...t.columns.map((c) => c.label)];
}

function bodyCells(t: ResultsTable, mark: (text: string, rank: "best" | "second" | null) => string): string[][] {
  return t.rows.map((r, i) => [
    r.label,
    ...(t.layout === "table1" ? [r.paradigm] : []),
    ...t.columns.map((c) => {
      const rank = t.best[c.metric]?.includes(i) ? "best" : t.second[c.metric]?.includes(i) ? "second" : null;
      const text = fmt(r.cells[c.metric]);
      return r.cells[c.metric].mean === null ? text : mark(text, rank);
    }),
  ]);
}

const mdEscape = (s: string) => s.replace(/\|/g, "\\|");

/** GitHub markdown: best in bold, second best underlined (`<u>`), then the notes. */
export function tableToMarkdown(t: ResultsTable): string {
  const head = headerCells(t);
  const body = bodyCells(t, (s, rank) => (rank === "best" ? `**${s}**` : rank === "second" ? `<u>${s}</u>` : s));
  const line = (cells: string[]) => `| ${cells.map(mdEscape).join(" | ")} |`;
  const align = `|${head.map((_, i) => (i < (t.layout === "table1" ? 2 : 1) ? " --- " : " ---: ")).join("|")}|`;
  return [`**${t.title}.** Best in bold, second best underlined.`, "", line(head), align, ...body.map(line), "", ...t.notes.map((n) => `- ${n}`), ""].join("\n");
}

/**
 * A fixed-width table for a terminal. Best cells end in `*`; with `color`, they are also bold and the
 * second best underlined (ANSI).
 */
export function tableToTerminal(t: ResultsTable, opts: { color?: boolean } = {}): string {
  const head = headerCells(t);
  const star = (s: string, rank: "best" | "second" | null) => (rank === "best" ? `${s}*` : `${s} `);
  const plain = bodyCells(t, star);
  const styled = bodyCells(t, (s, rank) => {
    if (!opts.color || rank === null) return star(s, rank);
    return rank === "best" ? `\x1b[1m${star(s, rank)}\x1b[22m` : `\x1b[4m${s}\x1b[24m `;
  });
  const widths = head.map((h, j) => Math.max([...h].length, ...plain.map((r) => [...(r[j] ?? "")].length)));
  const labelCols = t.layout === "table1" ? 2 : 1;
  const pad = (s: string, visible: string, j: number) => {
    const gap = " ".repeat((widths[j] ?? 0) - [...visible].length);
    return j < labelCols ? s + gap : gap + s;
  };
  const out = [t.title, head.map((h, j) => pad(h, h, j)).join("  "), widths.map((w) => "─".repeat(w)).join("  ")];
  for (const [i, r] of styled.entries()) out.push(r.map((s, j) => pad(s, plain[i]![j]!, j)).join("  "));
  out.push("* best", ...t.notes);
  return out.join("\n") + "\n";
}
