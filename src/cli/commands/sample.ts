/**
 * `portraitrl sample --ckpt C --ref IMG --instruction TEXT --out PNG [--steps N --seed S
 * --sampler euler|dpm2m --weights raw|ema]`: edit one image with a checkpoint. C is a checkpoint
 * folder or a run folder (its `checkpoints/latest` is used). The reference is read at the model's
 * image size (resized with a warning when it differs); the PNG has the model's image size. Noise
 * x1 comes from the seed; sampling is deterministic ODE on FLUX's shifted grid (mu from the target
 * token count), 6 Euler steps by default (DESIGN §9: 6 steps sample as well as 20).
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { readImage, writePng } from "../../data/index.js";
import { sampleOde, timeGrid, type OdeSolver } from "../../flow/index.js";
import { buildModel, chooseWeights, imagesToTokens, loadCheckpoint, tokenize, tokensToImages, type LoadedCheckpoint } from "../../model/index.js";
import { UserError } from "../../runtime/errors.js";
import { initJax, jax, np, type JaxArray } from "../../runtime/jax.js";
import { Rng } from "../../runtime/rng.js";
import { requiredInt } from "../int-flag.js";

interface SampleCliOptions {
  ckpt: string;
  ref: string;
  instruction: string;
  out: string;
  steps: string;
  seed: string;
  sampler: string;
  weights: string;
}


/** A checkpoint folder, or a run folder's `checkpoints/latest`. */
function checkpointDir(given: string): string {
  if (!existsSync(given)) throw new UserError(`--ckpt ${given}: does not exist`, 2);
  const latest = join(given, "checkpoints", "latest");
  if (existsSync(latest)) return realpathSync(latest);
  const cfg = join(given, "config.json");
  if (existsSync(cfg)) {
    const kind = (JSON.parse(readFileSync(cfg, "utf8")) as { kind?: unknown }).kind;
    if (kind !== undefined) throw new UserError(`--ckpt ${given}: a run folder without checkpoints/latest (no checkpoint written yet)`, 2);
  }
  return given;
}

/** Edit one reference image → pixels [S, S, 3] in [0, 1]. */
export async function editOne(
  ckpt: LoadedCheckpoint,
  refPixels: Float32Array,
  instruction: string,
  o: { steps: number; seed: number; solver: OdeSolver; weights: "raw" | "ema" },
): Promise<Float32Array> {
  const c = ckpt.config;
  const model = buildModel(c, ckpt.lora);
  const N = model.tokensPerImage;
  const P = model.tokenDim;
  const chosen = chooseWeights(ckpt, o.weights === "ema" ? "ema" : "base"); // an SFT EMA or an RL run's eval EMA of its LoRA, as eval
  if (o.weights === "ema" && chosen.ema === null) throw new UserError("--weights ema: the checkpoint holds no EMA weights (trained with --no-ema?)", 2);
  const base = np.array(chosen.base, { shape: [model.baseSize] });
  const lora = ckpt.lora && chosen.loraWeights ? np.array(chosen.loraWeights, { shape: [model.loraSize] }) : null;
  const ref = np.array(imagesToTokens(refPixels, 1, c), { shape: [1, N, P] });
  const text = np.array(tokenize(instruction, c), { shape: [1, c.textMaxWords], dtype: np.int32 });
  const program = jax.jit((b: JaxArray, xt: JaxArray, t: JaxArray, r: JaxArray, w: JaxArray, ...l: JaxArray[]) =>
    model.velocity(b, l[0] ?? null, xt, t, r, w),
  );
  const velocity = (x: JaxArray, t: number): JaxArray =>
    program(base.ref, x, np.full([1], t, { dtype: np.float32 }), ref.ref, text.ref, ...(lora ? [lora.ref] : []));
  const x1 = np.array(new Rng(o.seed).normalArray(N * P), { shape: [1, N, P] });
  const x0 = await sampleOde(velocity, x1, timeGrid(o.steps, { targetTokens: N }), o.solver);
  const tokens = Float32Array.from(await x0.data());
  for (const a of [base, lora, ref, text]) a?.dispose();
  program.dispose();
  return tokensToImages(tokens, 1, c);
}

export function registerSample(program: Command): void {
  program
    .command("sample")
    .description("edit one reference image with a checkpoint and write a PNG")
    .requiredOption("--ckpt <dir>", "checkpoint folder, or an SFT/RL run folder (uses checkpoints/latest)")
    .requiredOption("--ref <img>", "reference image")
    .requiredOption("--instruction <text>", "editing instruction")
    .requiredOption("--out <png>", "output PNG (the model's image size)")
    .option("--steps <n>", "sampling steps", "6")
    .option("--seed <s>", "noise seed", "0")
    .option("--sampler <name>", "ODE solver: euler or dpm2m", "euler")
    .option("--weights <which>", "raw trained weights or their EMA: raw or ema", "raw")
    .action(async (o: SampleCliOptions) => {
      const steps = requiredInt("--steps", o.steps, 1);
      const seed = requiredInt("--seed", o.seed, 0);
      if (o.sampler !== "euler" && o.sampler !== "dpm2m") throw new UserError(`--sampler ${JSON.stringify(o.sampler)}: expected euler or dpm2m`, 2);
      if (o.weights !== "raw" && o.weights !== "ema") throw new UserError(`--weights ${JSON.stringify(o.weights)}: expected raw or ema`, 2);
      if (!o.out.toLowerCase().endsWith(".png")) throw new UserError(`--out ${o.out}: expected a .png path`, 2);
      const ckpt = await loadCheckpoint(checkpointDir(o.ckpt));
      const c = ckpt.config;
      if (c.textEncoder !== "builtin" || c.latentDownsample !== 1 || c.latentChannels !== 3) {
        throw new UserError(`--ckpt ${o.ckpt}: preset ${c.preset} is not a pixel-space RGB model with the built-in text encoder`, 2);
      }
      const refPixels = await readImage(o.ref, c.imageSize, { resize: "warn" });
      await initJax();
      const pixels = await editOne(ckpt, refPixels, o.instruction, { steps, seed, solver: o.sampler, weights: o.weights });
      await writePng(o.out, pixels, c.imageSize);
      process.stdout.write(JSON.stringify({ out: o.out, size: c.imageSize, steps, seed, sampler: o.sampler, weights: o.weights }) + "\n");
    });
}
