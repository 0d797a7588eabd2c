/**
 * Benchmark of the synthetic data module (prints JSON):
 * - recognizer accuracy per attribute and per group (identity / pose / camera), on N held-out renders
 *   (identities from a seed no dataset uses), clean (8-bit, as read from a PNG) and degraded (Gaussian
 *   blur σ = 1 px, then noise std 0.1, clamped), counting only attributes the image shows;
 *   expected calibration error (15 equal-width confidence bins, pooled over attributes), mean
 *   confidence, negative log-likelihood; CPU and wall milliseconds per image;
 * - `data synth` time for 300 identities × 3 triplets + 50 test identities at 32 px, and parse-back.
 * With --fit: grid-search the recognizer's calibration temperature and σ_min (lowest NLL) on a separate
 * calibration set, and report it (the constants live in src/data/recognizer.ts).
 * Usage: npx tsx bench/data.ts [--n 2000] [--fit]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_ATTRIBUTES, EDITABLE_ATTRIBUTES, groupOf, type AttributeName, type PortraitAttributes } from "../src/data/attributes.js";
import { loadDataset } from "../src/data/dataset.js";
import { degrade } from "../src/data/degrade.js";
import { toBytes } from "../src/data/image-io.js";
import { parseInstruction } from "../src/data/parser.js";
import { recognizeDetailed, type Recognition } from "../src/data/recognizer.js";
import { CALIBRATION_TEMPERATURE, SIGMA_MIN, posteriors } from "../src/data/recognizer-posterior.js";
import { renderPortrait } from "../src/data/render.js";
import { Rng } from "../src/data/rng.js";
import { synthesizeDataset } from "../src/data/synthesize.js";
import { sampleIdentity, samplePortrait } from "../src/data/triplets.js";
import { visibleAttributes } from "../src/data/visibility.js";

const args = process.argv.slice(2);
const N = Number(args[args.indexOf("--n") + 1] ?? 2000) || 2000;
const FIT = args.includes("--fit");
const SIZE = 32;

interface Sample {
  truth: PortraitAttributes;
  visible: Set<AttributeName>;
  rec: Recognition;
}

function makeImages(n: number, seed: number, degraded: boolean): { truth: PortraitAttributes; img: Float32Array }[] {
  const rng = new Rng(seed);
  const out: { truth: PortraitAttributes; img: Float32Array }[] = [];
  for (let i = 0; i < n; i++) {
    const truth = samplePortrait(sampleIdentity(rng), rng);
    const png = Float32Array.from(toBytes(renderPortrait(truth, SIZE), SIZE), (b) => b / 255);
    out.push({ truth, img: degraded ? degrade(png, SIZE, rng) : png });
  }
  return out;
}

function run(images: { truth: PortraitAttributes; img: Float32Array }[]): { samples: Sample[]; cpuMs: number; wallMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const recs = images.map((x) => recognizeDetailed(x.img, SIZE));
  const wallMs = (performance.now() - t0) / images.length;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000 / images.length;
  const samples = images.map((x, i) => ({ truth: x.truth, visible: visibleAttributes(x.truth), rec: recs[i] as Recognition }));
  return { samples, cpuMs, wallMs };
}

const r4 = (x: number): number => Math.round(x * 10000) / 10000;

function evaluate(samples: Sample[], dist: (s: Sample) => Recognition["distributions"]) {
  const perAttr: Record<string, { ok: number; n: number }> = {};
  const perGroup: Record<string, { ok: number; n: number }> = {};
  const bins = Array.from({ length: 15 }, () => ({ n: 0, conf: 0, ok: 0 }));
  let nll = 0;
  let n = 0;
  let conf = 0;
  for (const s of samples) {
    const d = dist(s);
    for (const a of ALL_ATTRIBUTES) {
      if (!s.visible.has(a)) continue;
      const row = d[a] as Record<string, number>;
      const [best, pBest] = Object.entries(row).reduce((m, e) => (e[1] > m[1] ? e : m));
      const ok = best === s.truth[a] ? 1 : 0;
      for (const [key, tab] of [[a, perAttr], [groupOf(a), perGroup]] as const) {
        const t = (tab[key] ??= { ok: 0, n: 0 });
        t.ok += ok;
        t.n += 1;
      }
      const bin = bins[Math.min(14, Math.floor(pBest * 15))];
      if (bin) {
        bin.n++;
        bin.conf += pBest;
        bin.ok += ok;
      }
      nll -= Math.log(Math.max(1e-12, row[s.truth[a]] ?? 0));
      conf += pBest;
      n++;
    }
  }
  const ece = bins.reduce((acc, b) => acc + (b.n === 0 ? 0 : (b.n / n) * Math.abs(b.ok / b.n - b.conf / b.n)), 0);
  const acc = (t: Record<string, { ok: number; n: number }>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, r4(v.ok / v.n)]));
  return {
    accuracy_by_group: acc(perGroup),
    accuracy_by_attribute: acc(perAttr),
    ece: r4(ece),
    mean_confidence: r4(conf / n),
    nll_per_attribute: r4(nll / n),
    reliability: bins.filter((b) => b.n > 0).map((b) => ({ n: b.n, confidence: r4(b.conf / b.n), accuracy: r4(b.ok / b.n) })),
  };
}

async function benchSynth() {
  const dir = await mkdtemp(join(tmpdir(), "portraitrl-bench-"));
  const out = join(dir, "ds");
  const t0 = performance.now();
  const s = await synthesizeDataset({ out, identities: 300, perIdentity: 3, size: SIZE, seed: 11 });
  const seconds = (performance.now() - t0) / 1000;
  let exact = 0;
  let total = 0;
  for (const split of ["train", "test"] as const) {
    for (const r of await loadDataset(out, split)) {
      const p = parseInstruction(r.instruction);
      total++;
      if (p !== "unknown" && r.attributes && EDITABLE_ATTRIBUTES.every((a) => p[a] === r.attributes?.changes[a])) exact++;
    }
  }
  await rm(dir, { recursive: true, force: true });
  return { records: s.train + s.test, images: s.images, seconds: r4(seconds), instructions_parsed_exactly: r4(exact / total) };
}

const result: Record<string, unknown> = {
  bench: "data", node: process.version, loadavg_start: loadavg().map(r4), n: N,
  calibration: { temperature: CALIBRATION_TEMPERATURE, sigma_min: SIGMA_MIN },
};
if (FIT) {
  const cal = [...run(makeImages(Math.ceil(N / 4), 7001, false)).samples, ...run(makeImages(Math.ceil(N / 4), 7002, true)).samples];
  const grid: { temperature: number; sigma_min: number; nll: number; ece: number }[] = [];
  for (const temperature of [1, 2, 4, 8, 12, 16, 24, 32, 64]) {
    for (const sigmaMin of [0.01, 0.02, 0.03, 0.05]) {
      const e = evaluate(cal, (s) => posteriors(s.rec.sse, s.rec.noiseStd ** 2, temperature, sigmaMin));
      grid.push({ temperature, sigma_min: sigmaMin, nll: e.nll_per_attribute, ece: e.ece });
    }
  }
  grid.sort((a, b) => a.nll - b.nll);
  result.fit = { calibration_images: cal.length, best: grid[0], grid };
} else {
  for (const [name, degraded, seed] of [["clean", false, 9001], ["degraded_blur1_noise0.1", true, 9001]] as const) {
    const { samples, cpuMs, wallMs } = run(makeImages(N, seed, degraded));
    result[name] = { ...evaluate(samples, (s) => s.rec.distributions), cpu_ms_per_image: r4(cpuMs), wall_ms_per_image: r4(wallMs) };
  }
  result.synth = await benchSynth();
}
result.loadavg_end = loadavg().map(r4);
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
