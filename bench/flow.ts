/**
 * SFT and sampling throughput of the `small` preset (DESIGN §9). SFT: `runSft` end to end (batch
 * assembly on the host, the one-jit train step, EMA, metrics) on a synthetic 32 px dataset, timing
 * every step; the first steps (trace + compile) are reported apart, the rest as median / mean and
 * steps/s. Sampling: one batch of `--batch` edits with 6 Euler and 6 DPM-Solver++(2M) steps through
 * a jitted velocity (as `sample` / eval do). Prints JSON. Run: `npx tsx bench/flow.ts [--steps 12]
 * [--batch 32] [--preset small]`. Wall-clock numbers, noisy when other processes share the CPU.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, synthesizeDataset } from "../src/data/index.js";
import { sampleOde, timeGrid, type OdeSolver } from "../src/flow/index.js";
import { buildModel, presetConfig, tokenizeBatch } from "../src/model/index.js";
import { initJax, jax, np, type JaxArray } from "../src/runtime/jax.js";
import { Rng } from "../src/runtime/rng.js";
import { DEFAULT_SFT_CONFIG, parseSftConfig, runSft } from "../src/sft/index.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function benchSft(preset: string, batch: number, steps: number, warmup: number): Promise<Record<string, unknown>> {
  const root = mkdtempSync(join(tmpdir(), "portraitrl-bench-flow-"));
  try {
    const size = presetConfig(preset).imageSize;
    const data = join(root, "data");
    await synthesizeDataset({ out: data, identities: 8, perIdentity: 4, size, seed: 0 });
    const records = await loadDataset(data, "train");
    const config = parseSftConfig({ ...DEFAULT_SFT_CONFIG, preset, batchSize: batch, steps, logEvery: steps, ckptEvery: steps }, "bench");
    const stamps: number[] = [performance.now()];
    await runSft({ out: join(root, "run"), config, records, dataDir: data, onStep: () => stamps.push(performance.now()) });
    const ms = stamps.slice(1).map((t, i) => t - stamps[i]!);
    const steady = ms.slice(warmup);
    return {
      preset,
      batch,
      records: records.length,
      first_steps_ms: ms.slice(0, warmup).map(Math.round),
      step_ms_median: Math.round(median(steady)),
      step_ms_mean: Math.round(steady.reduce((a, b) => a + b, 0) / steady.length),
      steps_per_s: Number((1000 / median(steady)).toFixed(3)),
      samples_per_s: Number(((1000 * batch) / median(steady)).toFixed(1)),
      timed_steps: steady.length,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchSampling(preset: string, batch: number, steps: number): Promise<Record<string, unknown>> {
  const c = presetConfig(preset);
  const model = buildModel(c);
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const rng = new Rng(0);
  const base = np.array(model.initBase(0), { shape: [model.baseSize] });
  const ref = np.array(rng.normalArray(batch * N * P, 0.5), { shape: [batch, N, P] });
  const text = np.array(tokenizeBatch(Array(batch).fill("raise the left arm"), c), { shape: [batch, c.textMaxWords], dtype: np.int32 });
  const program = jax.jit((b: JaxArray, xt: JaxArray, t: JaxArray, r: JaxArray, w: JaxArray) => model.velocity(b, null, xt, t, r, w));
  const velocity = (x: JaxArray, t: number): JaxArray => program(base.ref, x, np.full([batch], t, { dtype: np.float32 }), ref.ref, text.ref);
  const grid = timeGrid(steps, { targetTokens: N });
  const out: Record<string, unknown> = { preset, batch, steps };
  (await sampleOde(velocity, np.array(rng.normalArray(batch * N * P), { shape: [batch, N, P] }), grid, "euler")).dispose(); // compile
  for (const solver of ["euler", "dpm2m"] as OdeSolver[]) {
    const times: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const x1 = np.array(rng.normalArray(batch * N * P), { shape: [batch, N, P] });
      const t0 = performance.now();
      const x0 = await sampleOde(velocity, x1, grid, solver);
      await x0.blockUntilReady();
      times.push(performance.now() - t0);
      x0.dispose();
    }
    out[`${solver}_batch_ms_median`] = Math.round(median(times));
    out[`${solver}_ms_per_image`] = Number((median(times) / batch).toFixed(2));
  }
  for (const a of [base, ref, text]) a.dispose();
  program.dispose();
  return out;
}

await initJax();
const preset = arg("preset", "small");
const batch = Number(arg("batch", "32"));
const steps = Number(arg("steps", "12"));
const sft = await benchSft(preset, batch, steps, 2);
const sampling = await benchSampling(preset, batch, 6);
process.stdout.write(JSON.stringify({ bench: "flow", node: process.version, sft, sampling, note: "wall-clock; noisy when other processes share the 2 cores" }, null, 2) + "\n");
process.exit(0);
