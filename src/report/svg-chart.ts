/**
 * Hand-written SVG line charts for the report (no library, no network): one or more series over a shared
 * x axis, "nice" 1-2-5 ticks, a legend, gaps where a value is missing.
 */
import { esc } from "./html.js";

export interface Series {
  name: string;
  /** [x, y]; a null or non-finite y leaves a gap. */
  points: ReadonlyArray<readonly [number, number | null]>;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  width?: number;
  height?: number;
}

export const PALETTE = ["#2f6fde", "#e4572e", "#17a673", "#a05ad8", "#f0a202", "#1b998b", "#c5283d", "#5f6c80"];

/** About `count` round tick values (steps of 1, 2 or 5 × 10^k) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** An inline <svg> line chart; says "no data" when no series has a finite point. */
export function lineChart(series: readonly Series[], opts: LineChartOptions): string {
  const W = opts.width ?? 420;
  const H = opts.height ?? 240;
  const m = { l: 52, r: 12, t: 26, b: 40 + 14 * Math.ceil(series.length / 3) };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const pts = series.flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null && Number.isFinite(p[1]) && Number.isFinite(p[0])));
  const head = `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title)}">` +
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="600" fill="#1d2330">${esc(opts.title)}</text>`;
  if (pts.length === 0) return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="#667085">no data</text></svg>`;
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1]));
  let y1 = Math.max(...pts.map((p) => p[1]));
  if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
  if (y1 === y0) { const d = Math.abs(y0) * 0.05 || 0.5; y0 -= d; y1 += d; }
  const yt = niceTicks(y0, y1);
  y0 = Math.min(y0, yt[0] ?? y0);
  y1 = Math.max(y1, yt[yt.length - 1] ?? y1);
  const xt = niceTicks(x0, x1, 6);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [head];
  for (const t of yt) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e3e7ee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y}" dy="4" text-anchor="end" font-size="10" fill="#667085">${label(t)}</text>`);
  }
  for (const t of xt) {
    if (t < x0 || t > x1) continue;
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#667085"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 15}" text-anchor="middle" font-size="10" fill="#667085">${label(t)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#b8c0cc"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle" font-size="11" fill="#1d2330">${esc(opts.xLabel)}</text>`);
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) { runs.push([]); continue; }
      runs[runs.length - 1]!.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    }
    for (const r of runs) {
      if (r.length > 1) parts.push(`<polyline points="${r.join(" ")}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
      const [cx, cy] = r.length === 1 ? r[0]!.split(",") : [];
      if (cx !== undefined && cy !== undefined) parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
    }
    const lx = Math.round(m.l + (i % 3) * (pw / 3));
    const ly = m.t + ph + 44 + 14 * Math.floor(i / 3);
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${lx + 14}" y="${ly + 1}" font-size="11" fill="#1d2330">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
