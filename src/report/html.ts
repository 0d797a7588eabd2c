/** HTML building blocks for the self-contained report: escaping and the page shell with inline CSS. */

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A number with `digits` decimals for display, or "—" for null/NaN. */
export function num(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(digits);
}

const CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --bg: #ffffff; --panel: #f6f8fb; --accent: #2f6fde; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: var(--muted); font-size: 12px; }
nav { margin-top: 8px; font-size: 13px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1500px; }
section { margin-top: 26px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
p.note, .notes { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px; }
.table-scroll { max-width: 100%; overflow-x: auto; }
table.results { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 13px; }
table.results th, table.results td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
table.results th:first-child, table.results td:first-child, table.results td.lbl, table.results th.lbl { text-align: left; }
table.results td.best { font-weight: 700; }
table.results td.second { text-decoration: underline; }
.grid { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; margin: 6px 0 14px; }
.row { display: flex; gap: 6px; align-items: flex-start; margin-bottom: 8px; }
figure { margin: 0; text-align: center; font-size: 11px; color: var(--muted); width: 128px; }
figure div { white-space: nowrap; }
figure img { width: 96px; height: 96px; image-rendering: pixelated; border: 1px solid var(--line); border-radius: 3px; display: block; margin: 0 auto 2px; object-fit: contain; background: #fff; }
.row.large figure { width: 176px; }
.row.large figure img { width: 160px; height: 160px; }
figure.ref img { border: 2px solid var(--accent); }
figure.tgt img { border: 2px dashed #7a8699; }
figure .cap { color: var(--fg); font-weight: 600; }
.instr { font-size: 12px; margin: 8px 0 2px; }
.instr code { font-size: 11px; color: var(--muted); }
.flag { color: #b42318; font-weight: 700; }
.pos { color: #067647; } .neg { color: #b42318; }
`;

export interface PageSection {
  id: string;
  title: string;
  html: string;
}

export function page(title: string, metaLines: readonly string[], sections: readonly PageSection[]): string {
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("");
  const body = sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1>${metaLines.map((l) => `<div class="meta">${esc(l)}</div>`).join("")}<nav>${nav}</nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}
