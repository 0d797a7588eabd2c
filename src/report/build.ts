/**
 * `portraitrl report DIR`: one self-contained report.html for a training run, a compare folder or an
 * eval folder — inline CSS, inline SVG charts, images as data URIs, no script, nothing fetched.
 */
import { readFile, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { UserError } from "../runtime/errors.js";
import { writeFileAtomic } from "../runtime/atomic.js";
import { readEvalFolder, type EvalFolder } from "../eval/folder.js";
import { PAIRED_BASELINES, pairedTablesOf } from "../eval/paired-seeds.js";
import { TABLE_COLUMNS, buildTable1, buildTable3, readCompareFolder, rowsFromEvalFolders } from "../eval/tables.js";
import { esc, page, type PageSection } from "./html.js";
import { ImageInliner } from "./images.js";
import { listGroupEpochs, readGroups, readRunMetrics, type RunMetrics } from "./run-folder.js";
import { overlayCharts, runCharts, type CurveRun } from "./sections/curves.js";
import { comparisonHtml, groupGridHtml, sharedIds } from "./sections/grids.js";
import { pairedTableHtml, tableHtml } from "./sections/tables.js";

export type ReportKind = "run" | "compare" | "eval";

export interface ReportOptions {
  /** An eval folder of the same split to show side by side with an eval folder ("before"). */
  before?: string;
  /** More eval folders of the same split shown after it (e.g. the demo's SFT-continued baseline). */
  beside?: readonly string[];
  /** Test records shown in sample comparisons (default 8). */
  maxSamples?: number;
  /** Groups shown per epoch in a run's grids (default 4). */
  maxGroups?: number;
}

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** What kind of folder `dir` is (compare.json, eval.json, or metrics.jsonl/config.json). */
export async function detectKind(dir: string): Promise<ReportKind> {
  if (!(await isDir(dir))) throw new UserError(`${dir}: not a folder`, 2);
  if (await isFile(join(dir, "compare.json"))) return "compare";
  if (await isFile(join(dir, "eval.json"))) return "eval";
  if ((await isFile(join(dir, "metrics.jsonl"))) || (await isFile(join(dir, "config.json")))) return "run";
  throw new UserError(`${dir}: not a run, compare or eval folder (no compare.json, eval.json, metrics.jsonl or config.json)`, 2);
}

async function configSection(runDir: string): Promise<string> {
  const path = join(runDir, "config.json");
  if (!(await isFile(path))) return `<p class="note">No config.json.</p>`;
  const text = await readFile(path, "utf8");
  try {
    return `<details><summary>config.json</summary><pre>${esc(JSON.stringify(JSON.parse(text), null, 2))}</pre></details>`;
  } catch (err) {
    throw new UserError(`${path}: malformed JSON (${(err as Error).message})`, 1);
  }
}

/** Epochs to show: first, middle and last that have group files. */
function pickEpochs(epochs: readonly number[]): number[] {
  if (epochs.length <= 3) return [...epochs];
  return [...new Set([epochs[0]!, epochs[Math.floor((epochs.length - 1) / 2)]!, epochs[epochs.length - 1]!])];
}

async function runSections(runDir: string, opts: Required<Omit<ReportOptions, "before" | "beside">>, inliner: ImageInliner): Promise<PageSection[]> {
  const empty: RunMetrics = { kind: "empty", lines: [] };
  const metrics = (await isFile(join(runDir, "metrics.jsonl"))) ? await readRunMetrics(runDir) : empty;
  const charts = await runCharts(metrics);
  const sections: PageSection[] = [
    {
      id: "curves",
      title: metrics.kind === "sft" ? "Training curves (per step)" : "Reward and training curves (per epoch)",
      html: charts.length ? `<div class="charts">${charts.join("")}</div>` : `<p class="note">metrics.jsonl has no lines yet.</p>`,
    },
  ];
  const epochs = pickEpochs(await listGroupEpochs(runDir));
  if (epochs.length > 0) {
    const blocks: string[] = [];
    for (const e of epochs) {
      const groups = await readGroups(runDir, e, opts.maxGroups);
      blocks.push(`<h3>Epoch ${e}</h3>${await groupGridHtml(runDir, e, groups, inliner)}`);
    }
    sections.push({ id: "groups", title: "Per-group rollouts (reference | generations with DP, PF, Adv)", html: blocks.join("\n") });
  }
  sections.push({ id: "config", title: "Configuration", html: await configSection(runDir) });
  return sections;
}

/** An eval folder shown beside `dir`'s, which must be of the same split. */
async function sameSplitEval(flag: string, path: string, of: EvalFolder): Promise<EvalFolder> {
  const f = await readEvalFolder(path);
  if (f.eval.split !== of.eval.split) {
    throw new UserError(`${flag} ${path}: split ${JSON.stringify(f.eval.split)} differs from ${JSON.stringify(of.eval.split)} of ${of.dir}`, 2);
  }
  return f;
}

async function evalSections(dir: string, opts: ReportOptions & Required<Omit<ReportOptions, "before" | "beside">>, inliner: ImageInliner): Promise<PageSection[]> {
  const after = await readEvalFolder(dir);
  const folders: EvalFolder[] = [after];
  const columns = [{ label: after.eval.method, folder: after }];
  if (opts.before) {
    const before = await sameSplitEval("--before", opts.before, after);
    folders.unshift(before);
    columns.unshift({ label: `before: ${before.eval.method}`, folder: before });
    columns[1]!.label = `after: ${after.eval.method}`;
  }
  for (const path of opts.beside ?? []) {
    const f = await sameSplitEval("beside", path, after);
    folders.push(f);
    columns.push({ label: f.eval.method, folder: f });
  }
  const ids = sharedIds(folders, opts.maxSamples);
  if (folders.length > 1 && ids.length === 0) throw new UserError(`${opts.before ? `--before ${opts.before}` : "beside"}: no test record in common with ${dir}`, 2);
  const table = buildTable1(
    folders.length > 1 ? columns.map((c) => ({ method: c.folder.eval.method, label: c.label, evals: [c.folder.eval], sources: [c.folder.dir] })) : rowsFromEvalFolders(folders),
  );
  return [
    { id: "table", title: "Metrics", html: tableHtml(table) },
    {
      id: "samples",
      title: opts.before ? "Before / after on the same test records (reference | target | each method)" : "Samples (reference | target | generated)",
      html: await comparisonHtml(columns, ids, inliner),
    },
    { id: "provenance", title: "Provenance", html: folders.map((f) => `<details><summary>${esc(f.dir)}/eval.json</summary><pre>${esc(JSON.stringify({ ...f.eval, metrics: undefined }, null, 2))}</pre></details>`).join("") },
  ];
}

async function compareSections(dir: string, opts: Required<Omit<ReportOptions, "before" | "beside">>, inliner: ImageInliner): Promise<PageSection[]> {
  const cmp = await readCompareFolder(dir);
  const table1Rows = cmp.rows.filter((r) => r.evals.length > 0);
  const sections: PageSection[] = [];
  const table1 = buildTable1(table1Rows);
  const table3 = cmp.rewards.length > 0 ? buildTable3(cmp.rewardRows) : null;
  const tables = [tableHtml(table1), ...(table3 ? [tableHtml(table3)] : [])];
  for (const p of pairedTablesOf(table1, table1Rows, PAIRED_BASELINES.table1)) tables.push(pairedTableHtml(p, "Table 1", TABLE_COLUMNS));
  if (table3) for (const p of pairedTablesOf(table3, cmp.rewardRows, PAIRED_BASELINES.table3)) tables.push(pairedTableHtml(p, "Table 3", TABLE_COLUMNS));
  if (cmp.missing.length > 0) tables.push(`<p class="note">Not finished yet: ${esc(cmp.missing.join(", "))}.</p>`);
  sections.push({ id: "tables", title: "Results", html: tables.join("\n") });

  const runs: CurveRun[] = [];
  for (const m of cmp.methods) {
    for (const s of cmp.seeds) {
      const runDir = join(dir, m, `seed${s}`, "run");
      if (!(await isFile(join(runDir, "metrics.jsonl")))) continue;
      const metrics = await readRunMetrics(runDir);
      if (metrics.kind === "rl") runs.push({ group: m, run: `s${s}`, lines: metrics.lines });
    }
  }
  const charts = await overlayCharts(runs);
  if (charts.length) sections.push({ id: "curves", title: "Reward and validation curves (each seed thin, the mean over seeds bold)", html: `<div class="charts">${charts.join("")}</div>` });

  const firstEval = new Map<string, EvalFolder>();
  for (const c of cmp.cells) if (!firstEval.has(c.method)) firstEval.set(c.method, c.folder);
  const baseMethod = firstEval.has("sft") ? "sft" : [...firstEval.keys()][0];
  const base = baseMethod === undefined ? undefined : firstEval.get(baseMethod);
  if (base) {
    const cols = [...firstEval].filter(([m, f]) => m === baseMethod || f.eval.split === base.eval.split).map(([m, f]) => ({ label: m, folder: f }));
    cols.sort((a, b) => Number(b.folder === base) - Number(a.folder === base));
    const ids = sharedIds(cols.map((c) => c.folder), opts.maxSamples);
    const html = ids.length > 0 ? await comparisonHtml(cols, ids, inliner) : `<p class="note">The eval folders have no test record in common.</p>`;
    sections.push({ id: "samples", title: `Before (${baseMethod}) / after on the same test records`, html });
  }

  const grids: string[] = [];
  for (const m of cmp.methods) {
    const runDir = join(dir, m, `seed${cmp.seeds[0] ?? 0}`, "run");
    const epochs = await listGroupEpochs(runDir);
    const last = epochs[epochs.length - 1];
    if (last === undefined) continue;
    grids.push(`<h3>${esc(m)} — epoch ${last}</h3>${await groupGridHtml(runDir, last, await readGroups(runDir, last, Math.min(2, opts.maxGroups)), inliner)}`);
  }
  if (grids.length) sections.push({ id: "groups", title: "Per-group rollouts, last epoch (first seed)", html: grids.join("\n") });
  return sections;
}

/** The report's HTML for `dir`. */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<{ kind: ReportKind; html: string }> {
  const kind = await detectKind(dir);
  if ((opts.before || opts.beside?.length) && kind !== "eval") throw new UserError(`--before applies to an eval folder; ${dir} is a ${kind} folder`, 2);
  const full = { maxSamples: opts.maxSamples ?? 8, maxGroups: opts.maxGroups ?? 4, ...(opts.before ? { before: opts.before } : {}), ...(opts.beside ? { beside: opts.beside } : {}) };
  const inliner = new ImageInliner();
  const sections =
    kind === "run" ? await runSections(dir, full, inliner) : kind === "compare" ? await compareSections(dir, full, inliner) : await evalSections(dir, full, inliner);
  const title = `portraitrl ${kind} report — ${basename(resolve(dir))}`;
  const meta = [`Folder: ${resolve(dir)}`, `Written ${new Date().toISOString()}`];
  return { kind, html: page(title, meta, sections) };
}

/** Build the report and write it atomically (runtime/atomic.ts); returns the path written. */
export async function writeReport(dir: string, opts: ReportOptions & { out?: string } = {}): Promise<string> {
  const { html } = await buildReport(dir, opts);
  const out = resolve(opts.out ?? join(dir, "report.html"));
  if (!existsSync(dirname(out))) throw new UserError(`--out ${out}: folder does not exist`, 2);
  await writeFileAtomic(out, html);
  return out;
}
