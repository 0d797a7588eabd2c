/** Results tables (eval/tables.ts) as HTML tables: best bold, second best underlined, notes below. */
import type { MetricName } from "../../eval/format.js";
import { formatPairedCell, type PairedSeedTable } from "../../eval/paired-seeds.js";
import type { ResultsTable, TableColumn } from "../../eval/tables.js";
import { esc } from "../html.js";

export function tableHtml(t: ResultsTable): string {
  const labelCols = t.layout === "table1" ? [t.first_column, "Paradigm"] : [t.first_column];
  const head = [...labelCols.map((h) => `<th class="lbl">${esc(h)}</th>`), ...t.columns.map((c) => `<th>${esc(c.label)}</th>`)].join("");
  const rows = t.rows.map((r, i) => {
    const cells = t.columns.map((c) => {
      const cell = r.cells[c.metric];
      const cls = t.best[c.metric]?.includes(i) ? "best" : t.second[c.metric]?.includes(i) ? "second" : "";
      if (cell.mean === null) return `<td>—</td>`;
      const ci = cell.ci95 ? ` <span class="notes">± ${((cell.ci95[1] - cell.ci95[0]) / 2).toFixed(4)}</span>` : "";
      const title = cell.ci95 ? ` title="95% CI [${cell.ci95[0].toFixed(4)}, ${cell.ci95[1].toFixed(4)}], n=${cell.n}, seeds=${cell.n_seeds}"` : "";
      return `<td class="${cls}"${title}>${cell.mean.toFixed(4)}${ci}</td>`;
    });
    const labels = t.layout === "table1" ? [r.label, r.paradigm] : [r.label];
    return `<tr>${labels.map((l) => `<td class="lbl">${esc(l)}</td>`).join("")}${cells.join("")}</tr>`;
  });
  return `<h3>${esc(t.title)}</h3><div class="table-scroll"><table class="results"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<div class="notes">Best in bold, second best underlined. ${t.notes.map(esc).join(" ")}</div>`;
}

/** A table of differences paired by seed (eval/paired-seeds.ts): mean [95% t interval], marked where it excludes 0. */
export function pairedTableHtml(t: PairedSeedTable, title: string, columns: readonly TableColumn[]): string {
  const label = (m: MetricName): string => columns.find((c) => c.metric === m)?.label ?? m;
  const head = [`<th class="lbl">Row</th>`, ...t.metrics.map((m) => `<th>${esc(label(m))}</th>`)].join("");
  const rows = t.rows.map((r) => {
    const cells = t.metrics.map((m) => {
      const c = r.cells[m]!;
      return `<td class="${c.excludes_zero ? "best" : ""}">${esc(formatPairedCell(c))}</td>`;
    });
    return `<tr><td class="lbl">${esc(r.label)}</td>${cells.join("")}</tr>`;
  });
  return `<h3>${esc(`Paired differences (${title}): row − ${t.baseline_label}`)}</h3><div class="table-scroll"><table class="results"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<div class="notes">Mean of the per-seed differences [95% t interval over seeds], paired by training seed; bold and * where the interval excludes 0.</div>`;
}
