/**
 * The user-study summary (the paper's Table 2): per method, Human-DP and Human-PF as mean score / 4 with
 * bootstrap 95% CIs, beside the judge's means on the same samples; agreement between human and judge
 * scores; agreement between raters. Intervals resample samples (items), keeping all of an item's ratings.
 */
import { readdirSync } from "node:fs";
import { versions } from "../../runtime/versions.js";
import { agreement, type Agreement } from "../../eval/agreement.js";
import { bootstrapCi, meanEstimate, type BootstrapOptions, type Estimate } from "../../eval/bootstrap.js";
import type { RateSet } from "./set.js";
import { readRatings, type LogProblem, type Score } from "./store.js";


export interface RaterRatings {
  name: string;
  ratings: ReadonlyMap<string, Score>;
  problems: LogProblem[];
}

export interface MethodRow {
  method: string;
  /** Samples of this method rated by at least one rater. */
  n_samples: number;
  n_ratings: number;
  human_dp: Estimate;
  human_pf: Estimate;
  /** The judge's mean on the same rated samples (for comparison with the human columns). */
  judge_dp: Estimate;
  judge_pf: Estimate;
}

export interface RaterPair {
  a: string;
  b: string;
  dp: Agreement;
  pf: Agreement;
}

export interface RateSummary {
  kind: "portraitrl-rate-summary";
  version: 1;
  created_at: string;
  versions: { portraitrl: string; node: string };
  bootstrap: { resamples: number; seed: number; level: 0.95; unit: "sample" };
  set: { seed: number; items: number; methods: string[] };
  raters: { name: string; rated: number; total: number; skipped_lines: LogProblem[] }[];
  methods: MethodRow[];
  human_vs_judge: { description: string; dp: Agreement; pf: Agreement };
  inter_rater: {
    description: string;
    pairs: RaterPair[];
    mean: { dp: { spearman: number | null; kendall_tau_b: number | null }; pf: { spearman: number | null; kendall_tau_b: number | null } };
  };
}

const RATINGS_FILE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\.jsonl$/;

/** Every rater's replayed ratings in a ratings folder (files named <rater>.jsonl), sorted by name. */
export function loadAllRatings(outDir: string, set: RateSet): RaterRatings[] {
  const known = new Set(set.items.map((i) => i.id));
  return readdirSync(outDir)
    .map((f) => RATINGS_FILE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => m[1]!)
    .sort()
    .map((name) => {
      const r = readRatings(outDir, name, known);
      return { name, ratings: r.ratings, problems: r.problems };
    });
}

/** Mean of all normalised ratings, with an interval that resamples items (each item brings all its ratings). */
function clusteredMean(perItem: readonly number[][], opts: BootstrapOptions): Estimate {
  const n = perItem.length;
  const total = (idx: Iterable<number>): number => {
    let s = 0;
    let c = 0;
    for (const i of idx) for (const v of perItem[i]!) {
      s += v;
      c++;
    }
    return s / c;
  };
  if (n === 0) return { value: null, ci95: null, n: 0 };
  return { value: total(perItem.keys()), ci95: bootstrapCi(n, total, opts), n };
}

function meanOf(xs: (number | null)[]): number | null {
  const ok = xs.filter((x): x is number => x !== null);
  return ok.length === 0 ? null : ok.reduce((a, b) => a + b, 0) / ok.length;
}

export function summarize(set: RateSet, raters: readonly RaterRatings[], opts: { resamples: number; seed: number }): RateSummary {
  const boot: BootstrapOptions = { resamples: opts.resamples, seed: opts.seed, level: 0.95 };
  const methods = set.sources.map((s) => s.method);
  const ratingsOf = (itemId: string): Score[] =>
    raters.map((r) => r.ratings.get(itemId)).filter((s): s is Score => s !== undefined);

  const rows: MethodRow[] = methods.map((method) => {
    const rated = set.items.filter((i) => i.method === method && ratingsOf(i.id).length > 0);
    const dp = rated.map((i) => ratingsOf(i.id).map((s) => s.dp / 4));
    const pf = rated.map((i) => ratingsOf(i.id).map((s) => s.pf / 4));
    return {
      method,
      n_samples: rated.length,
      n_ratings: dp.reduce((a, r) => a + r.length, 0),
      human_dp: clusteredMean(dp, boot),
      human_pf: clusteredMean(pf, boot),
      judge_dp: meanEstimate(rated.map((i) => i.judge_dp).filter((v): v is number => v !== null), boot),
      judge_pf: meanEstimate(rated.map((i) => i.judge_pf).filter((v): v is number => v !== null), boot),
    };
  });

  const humanVsJudge = (kind: "dp" | "pf"): Agreement => {
    const human: number[] = [];
    const judge: number[] = [];
    for (const item of set.items) {
      const j = kind === "dp" ? item.judge_dp : item.judge_pf;
      const rs = ratingsOf(item.id);
      if (j === null || rs.length === 0) continue;
      human.push(rs.reduce((a, s) => a + s[kind], 0) / (4 * rs.length));
      judge.push(j);
    }
    return agreement(human, judge, boot);
  };

  const pairs: RaterPair[] = [];
  for (let a = 0; a < raters.length; a++) {
    for (let b = a + 1; b < raters.length; b++) {
      const ra = raters[a]!;
      const rb = raters[b]!;
      const common = set.items.filter((i) => ra.ratings.has(i.id) && rb.ratings.has(i.id)).map((i) => i.id);
      const pick = (r: RaterRatings, kind: "dp" | "pf"): number[] => common.map((id) => r.ratings.get(id)![kind]);
      pairs.push({ a: ra.name, b: rb.name, dp: agreement(pick(ra, "dp"), pick(rb, "dp"), boot), pf: agreement(pick(ra, "pf"), pick(rb, "pf"), boot) });
    }
  }
  const pairMean = (kind: "dp" | "pf") => ({
    spearman: meanOf(pairs.map((p) => p[kind].spearman.value)),
    kendall_tau_b: meanOf(pairs.map((p) => p[kind].kendall_tau_b.value)),
  });

  return {
    kind: "portraitrl-rate-summary",
    version: 1,
    created_at: new Date().toISOString(),
    versions: versions(),
    bootstrap: { resamples: opts.resamples, seed: opts.seed, level: 0.95, unit: "sample" },
    set: { seed: set.seed, items: set.items.length, methods },
    raters: raters.map((r) => ({
      name: r.name,
      rated: set.items.filter((i) => r.ratings.has(i.id)).length,
      total: set.items.length,
      skipped_lines: r.problems,
    })),
    methods: rows,
    human_vs_judge: {
      description: "per sample: mean over raters of score/4 vs the judge's score; samples without a judge score are left out",
      dp: humanVsJudge("dp"),
      pf: humanVsJudge("pf"),
    },
    inter_rater: {
      description: "pairwise Spearman rho and Kendall tau-b between two raters' 0-4 scores on the samples both rated; mean = unweighted mean over pairs",
      pairs,
      mean: { dp: pairMean("dp"), pf: pairMean("pf") },
    },
  };
}

const f4 = (x: number | null): string => (x === null ? "—" : x.toFixed(4));
const withCi = (e: Estimate): string => (e.ci95 === null ? f4(e.value) : `${f4(e.value)} [${f4(e.ci95[0])}, ${f4(e.ci95[1])}]`);

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
}

function table(head: string[], body: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  return [pad(head, widths), ...body.map((r) => pad(r, widths))];
}

/** The summary as text: Table 2's layout first, then the two agreement blocks and the raters. */
export function formatSummary(s: RateSummary): string {
  const best = (key: "human_dp" | "human_pf"): number | null => {
    const values = s.methods.map((m) => m[key].value).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  const bestDp = best("human_dp");
  const bestPf = best("human_pf");
  const mark = (e: Estimate, b: number | null): string => withCi(e) + (e.value !== null && e.value === b && s.methods.length > 1 ? " *" : "");
  const lines: string[] = [];
  lines.push(`User study: normalised score/4, 95% bootstrap CI over samples (${s.bootstrap.resamples} resamples, seed ${s.bootstrap.seed}); * best`);
  lines.push(
    ...table(
      ["Method", "Human-DP", "Human-PF", "Judge-DP", "Judge-PF", "Samples", "Ratings"],
      s.methods.map((m) => [m.method, mark(m.human_dp, bestDp), mark(m.human_pf, bestPf), f4(m.judge_dp.value), f4(m.judge_pf.value), String(m.n_samples), String(m.n_ratings)]),
    ),
  );
  lines.push("", `Human vs judge (${s.human_vs_judge.description})`);
  lines.push(
    ...table(
      ["", "n", "Spearman rho", "Kendall tau-b"],
      (["dp", "pf"] as const).map((k) => {
        const a = s.human_vs_judge[k];
        return [k.toUpperCase(), String(a.n), withCi(a.spearman), withCi(a.kendall_tau_b)];
      }),
    ),
  );
  lines.push("", `Between raters (${s.inter_rater.description})`);
  if (s.inter_rater.pairs.length === 0) lines.push("(fewer than two raters)");
  else {
    lines.push(
      ...table(
        ["Pair", "", "n", "Spearman rho", "Kendall tau-b"],
        s.inter_rater.pairs.flatMap((p) =>
          (["dp", "pf"] as const).map((k) => [`${p.a} vs ${p.b}`, k.toUpperCase(), String(p[k].n), withCi(p[k].spearman), withCi(p[k].kendall_tau_b)]),
        ),
      ),
    );
    const m = s.inter_rater.mean;
    lines.push(`mean over pairs: DP rho ${f4(m.dp.spearman)}, tau-b ${f4(m.dp.kendall_tau_b)}; PF rho ${f4(m.pf.spearman)}, tau-b ${f4(m.pf.kendall_tau_b)}`);
  }
  lines.push("", `Raters: ${s.raters.map((r) => `${r.name} ${r.rated}/${r.total}${r.skipped_lines.length > 0 ? ` (${r.skipped_lines.length} corrupt line(s) skipped)` : ""}`).join(", ") || "none"}`);
  return `${lines.join("\n")}\n`;
}
