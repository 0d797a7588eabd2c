/**
 * The report's line charts, drawn by Vega-Lite (compiled to a Vega spec, rendered headless to SVG by
 * vega's own renderer: no browser, no canvas, nothing fetched), and as PNG files through sharp for a README.
 * Two shapes: `lineChart` (a few named series over one x axis, gaps where a value is missing) and
 * `curveChart` (one thin line per run and a bold mean line per group: a method's seeds and their spread).
 */
import sharp from "sharp";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { writeFileAtomic } from "../runtime/atomic.js";

export interface Series {
  name: string;
  /** [x, y]; a null or non-finite y leaves a gap. */
  points: ReadonlyArray<readonly [number, number | null]>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/**
 * One measured point of a run: `group` is the method, `run` one of its seeds, `order` the point's place
 * along its run (0, 1, …). A group's mean line averages the x and the y of its runs' points of the same
 * order, so runs whose points fall at different x (wall time) still average point by point.
 */
export interface CurvePoint {
  group: string;
  run: string;
  order: number;
  x: number;
  y: number | null;
}

export const PALETTE = ["#2f6fde", "#e4572e", "#17a673", "#a05ad8", "#f0a202", "#1b998b", "#c5283d", "#5f6c80"];

const finite = (y: number | null): y is number => y !== null && Number.isFinite(y);

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = (o: ChartOptions) => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json",
  title: o.title,
  width: o.width ?? 360,
  height: o.height ?? 200,
  config: { font: "sans-serif", legend: { orient: "bottom" as const, columns: 3 } },
});

/** A line chart of named series; "no data" when no series has a finite point. */
export function lineChart(series: readonly Series[], o: ChartOptions): Promise<string> {
  const values = series.flatMap((s, order) => s.points.map(([x, y]) => ({ series: s.name, order, x, y: finite(y) ? y : null })));
  if (!values.some((v) => v.y !== null)) {
    return render({ ...base(o), data: { values: [{ text: "no data" }] }, mark: { type: "text", fontSize: 13, color: "#667085" }, encoding: { text: { field: "text" } } });
  }
  return render({
    ...base(o),
    data: { values },
    mark: { type: "line", point: { size: 14 }, strokeWidth: 1.8 },
    encoding: {
      x: { field: "x", type: "quantitative", title: o.xLabel },
      y: { field: "y", type: "quantitative", title: o.yLabel ?? null, scale: { zero: false } },
      color: { field: "series", type: "nominal", title: null, sort: series.map((s) => s.name), scale: { range: PALETTE } },
    },
  });
}

/**
 * Runs grouped by method: each run a thin line, each group's mean over its runs a bold line through the
 * mean (x, y) of each order (a run's point without a value is left out of that mean).
 */
export function curveChart(points: readonly CurvePoint[], o: ChartOptions): Promise<string> {
  const values = points.filter((p) => finite(p.y)).map((p) => ({ ...p, key: `${p.group} · ${p.run}` }));
  if (values.length === 0) return lineChart([], o);
  const groups = [...new Set(points.map((p) => p.group))];
  const color = { field: "group", type: "nominal" as const, title: null, sort: groups, scale: { range: PALETTE } };
  const x = { field: "x", type: "quantitative" as const, title: o.xLabel };
  return render({
    ...base(o),
    data: { values },
    layer: [
      { mark: { type: "line", strokeWidth: 0.8, opacity: 0.35 }, encoding: { x, y: { field: "y", type: "quantitative", title: o.yLabel ?? null, scale: { zero: false } }, color, detail: { field: "key" } } },
      {
        mark: { type: "line", strokeWidth: 2.4, point: { size: 16 } },
        encoding: { x: { ...x, aggregate: "mean" }, y: { aggregate: "mean", field: "y", type: "quantitative" }, color, order: { field: "order", type: "quantitative" } },
      },
    ],
  });
}

/**
 * A chart for inline use in an HTML page: the namespace declarations (which a standalone file needs and
 * HTML does not) dropped, so the page names no address at all, and the report's chart class added.
 */
export function inlineSvg(svg: string): string {
  return svg.replace(/ xmlns(:xlink)?="[^"]*"/g, "").replace('class="marks"', 'class="marks chart" role="img"');
}

/** An SVG chart as a PNG file (2× its pixel size, so a README shows it sharp). */
export async function writeChartPng(svg: string, file: string): Promise<void> {
  await writeFileAtomic(file, await sharp(Buffer.from(svg), { density: 144 }).flatten({ background: "#ffffff" }).png().toBuffer());
}
