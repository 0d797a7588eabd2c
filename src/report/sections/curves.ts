/**
 * Reward and training curves per epoch (RL) or per step (SFT) from metrics.jsonl, as inline SVG charts;
 * the validation curve (`train --val-every`) when the run has one; a compare folder's runs overlaid, one
 * line per seed and the mean per method.
 */
import { curveChart, inlineSvg, lineChart, type CurvePoint, type Series } from "../chart.js";
import type { RlMetricsLine, RunMetrics, SftMetricsLine } from "../run-folder.js";

type Num = number | null | undefined;
const v = (x: Num): number | null => (typeof x === "number" && Number.isFinite(x) ? x : null);

function rlSeries(lines: readonly RlMetricsLine[], name: string, get: (l: RlMetricsLine) => Num): Series {
  return { name, points: lines.map((l) => [l.epoch, v(get(l))] as const) };
}

/** The charts of one run. */
export function runCharts(m: RunMetrics): Promise<string[]> {
  if (m.kind === "empty") return Promise.resolve([]);
  if (m.kind === "sft") {
    const sft = m.lines;
    const s = (name: string, get: (l: SftMetricsLine) => Num): Series => ({ name, points: sft.map((l) => [l.step, v(get(l))] as const) });
    return Promise.all([
      lineChart([s("loss", (l) => l.loss)], { title: "SFT loss", xLabel: "step" }),
      lineChart([s("grad norm", (l) => l.grad_norm)], { title: "Gradient norm", xLabel: "step" }),
      lineChart([s("lr", (l) => l.lr)], { title: "Learning rate", xLabel: "step" }),
    ]).then((svgs) => svgs.map(inlineSvg));
  }
  const L = m.lines;
  const charts = [
    lineChart([rlSeries(L, "DP", (l) => l.reward?.dp_mean), rlSeries(L, "PF", (l) => l.reward?.pf_mean), rlSeries(L, "S (Eq. 13)", (l) => l.reward?.s_mean)], { title: "Reward per epoch (mean)", xLabel: "epoch" }),
    lineChart([rlSeries(L, "DP", (l) => l.dp_std_in_group), rlSeries(L, "PF", (l) => l.pf_std_in_group)], { title: "Within-group std of the scores", xLabel: "epoch" }),
    lineChart([rlSeries(L, "loss", (l) => l.loss)], { title: "Loss", xLabel: "epoch" }),
    lineChart([rlSeries(L, "grad norm", (l) => l.grad_norm)], { title: "Gradient norm", xLabel: "epoch" }),
    lineChart([rlSeries(L, "old deviate", (l) => l.old_deviate), rlSeries(L, "KL", (l) => l.kl)], { title: "Policy drift", xLabel: "epoch" }),
  ];
  if (L.some((l) => v(l.clip_fraction) !== null)) charts.push(lineChart([rlSeries(L, "clip fraction", (l) => l.clip_fraction)], { title: "Clip fraction", xLabel: "epoch" }));
  if (L.some((l) => Array.isArray(l.delta_quantiles))) {
    charts.push(lineChart(["q10", "q50", "q90"].map((q, i) => rlSeries(L, q, (l) => l.delta_quantiles?.[i])), { title: "Δ quantiles", xLabel: "epoch" }));
  }
  charts.push(lineChart([rlSeries(L, "NaN scores", (l) => l.nan_count)], { title: "Failed judgements per epoch", xLabel: "epoch" }));
  charts.push(lineChart([rlSeries(L, "rollout", (l) => l.seconds?.rollout), rlSeries(L, "judge", (l) => l.seconds?.judge), rlSeries(L, "update", (l) => l.seconds?.update)], { title: "Seconds per phase", xLabel: "epoch" }));
  const val = L.filter((l) => l.val);
  if (val.length > 0) {
    const vs = (name: string, key: string): Series => ({ name, points: val.map((l) => [l.val!.epochs, v(l.val!.means[key])] as const) });
    const n = val[0]!.val!.n;
    charts.push(lineChart([vs("DP", "judge_dp"), vs("PF", "judge_pf")], { title: `Validation judge (${n} val records, eval EMA)`, xLabel: "epochs" }));
    charts.push(lineChart([vs("MSE", "mse"), vs("Fig-MSE", "mse_figure")], { title: "Validation pixel distance to the target", xLabel: "epochs" }));
    charts.push(lineChart([vs("SSIM", "ssim"), vs("Fig-SSIM", "ssim_figure")], { title: "Validation SSIM", xLabel: "epochs" }));
  }
  return Promise.all(charts).then((svgs) => svgs.map(inlineSvg));
}

/** One run of a compare folder: its method (the group of its curve) and its seed (the run). */
export interface CurveRun {
  group: string;
  run: string;
  lines: readonly RlMetricsLine[];
}

/** The validation metrics a compare report and `compare:paper-budget` draw, with their titles. */
export const VALIDATION_CURVES = [
  ["judge_dp", "Validation judge DP"],
  ["judge_pf", "Validation judge PF"],
  ["mse", "Validation MSE"],
  ["ssim", "Validation SSIM"],
] as const;

/**
 * A validation metric of each run (`train --val-every`) as curve points against epochs and against training
 * seconds: the cumulative rollout + judge + update seconds of the epochs up to the point (the validation's own
 * seconds are not counted). Orders count a run's validation points from 1.
 */
export function validationPoints(runs: readonly CurveRun[], metric: string): { byEpoch: CurvePoint[]; bySeconds: CurvePoint[] } {
  const byEpoch: CurvePoint[] = [];
  const bySeconds: CurvePoint[] = [];
  for (const r of runs) {
    let seconds = 0;
    let order = 0;
    for (const l of r.lines) {
      seconds += (v(l.seconds?.rollout) ?? 0) + (v(l.seconds?.judge) ?? 0) + (v(l.seconds?.update) ?? 0);
      if (!l.val) continue;
      order++;
      const y = l.val.means[metric] ?? null;
      byEpoch.push({ group: r.group, run: r.run, order, x: l.val.epochs, y });
      bySeconds.push({ group: r.group, run: r.run, order, x: seconds, y });
    }
  }
  return { byEpoch, bySeconds };
}

/**
 * The curves of a compare folder: each method's seeds as thin lines and their mean as a bold one, for the
 * reward per epoch and, where the runs have a validation curve, each validation metric against epochs and
 * against training seconds.
 */
export function overlayCharts(runs: readonly CurveRun[]): Promise<string[]> {
  if (runs.length === 0) return Promise.resolve([]);
  const size = { width: 420, height: 240 };
  const perEpoch = (title: string, get: (l: RlMetricsLine) => Num) =>
    curveChart(runs.flatMap((r) => r.lines.map((l, order) => ({ group: r.group, run: r.run, order, x: l.epoch, y: v(get(l)) }))), { title, xLabel: "epoch", ...size });
  const charts = [perEpoch("Reward S per epoch", (l) => l.reward?.s_mean), perEpoch("DP per epoch (reward judge)", (l) => l.reward?.dp_mean), perEpoch("PF per epoch (reward judge)", (l) => l.reward?.pf_mean)];
  const n = runs.flatMap((r) => r.lines).find((l) => l.val)?.val?.n;
  if (n !== undefined) {
    for (const [metric, title] of VALIDATION_CURVES) {
      const { byEpoch, bySeconds } = validationPoints(runs, metric);
      charts.push(curveChart(byEpoch, { title: `${title} (${n} records)`, xLabel: "epochs", ...size }));
      charts.push(curveChart(bySeconds, { title: `${title} (${n} records)`, xLabel: "training seconds (rollout + judge + update)", ...size }));
    }
  }
  return Promise.all(charts).then((svgs) => svgs.map(inlineSvg));
}
