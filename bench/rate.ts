/**
 * Cost of `rate --summary` at the paper's study size and above: R raters × (methods × samples) items,
 * 2000 bootstrap resamples. Prints JSON (wall and CPU seconds: the CPU figure is the one to trust on a
 * shared machine). Run: npx tsx bench/rate.ts
 */
import { Rng } from "../src/runtime/rng.js";
import type { RateSet } from "../src/report/rate/set.js";
import type { Score } from "../src/report/rate/store.js";
import { summarize, type RaterRatings } from "../src/report/rate/summary.js";

function study(methods: number, samples: number, raters: number): { set: RateSet; ratings: RaterRatings[] } {
  const rng = new Rng(1);
  const u = (): number => rng.uniform();
  const items: RateSet["items"] = [];
  for (let m = 0; m < methods; m++) {
    for (let s = 0; s < samples; s++) {
      items.push({
        id: (m * samples + s).toString(16).padStart(16, "0"), method: `m${m}`, source: m, sample_id: `s${s}`, instruction: "",
        reference_image: "", generated_image: "", judge_dp: u(), judge_pf: u(),
      });
    }
  }
  const set: RateSet = {
    kind: "portraitrl-rate-set", version: 1, seed: 0, limit: null, created_at: "", versions: { portraitrl: "", node: "" },
    sources: Array.from({ length: methods }, (_, m) => ({ dir: "", method: `m${m}`, samples_sha256: "" })), items,
  };
  const ratings = Array.from({ length: raters }, (_, r) => ({
    name: `r${r}`, problems: [],
    ratings: new Map<string, Score>(items.map((i) => [i.id, { dp: Math.floor(u() * 5), pf: Math.floor(u() * 5) }])),
  }));
  return { set, ratings };
}

const results = [];
for (const [methods, samples, raters] of [[4, 50, 5], [4, 200, 5]] as const) {
  const { set, ratings } = study(methods, samples, raters);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  summarize(set, ratings, { resamples: 2000, seed: 0 });
  const cpu = process.cpuUsage(c0);
  results.push({
    methods, samples, raters, items: methods * samples, resamples: 2000,
    wall_s: +((performance.now() - t0) / 1000).toFixed(2), cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2),
  });
}
console.log(JSON.stringify({ bench: "rate-summary", node: process.version, results }, null, 2));
