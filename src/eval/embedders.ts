/**
 * The CLIP / DINOv2 embedders of the eval (anchors-evaluation §2.2) from local ONNX folders: the folder is
 * checked for every file transformers.js will need (one clear line, exit 2, before anything runs), and
 * the reward's hf-embedder is given OUR preprocessing (preprocess.ts: PIL-like bicubic, shorter side,
 * centre crop, the model's mean/std), with the sizes and statistics read from the folder's
 * preprocessor_config.json (CHEESE defaults when it is absent).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { clipEmbedder, dinoEmbedder } from "../reward/hf-embedder.js";
import type { Embedder } from "../reward/embedder.js";
import { UserError } from "../runtime/errors.js";
import { DINOV2_PREPROCESS, OPENCLIP_PREPROCESS, preprocessImage, type PreprocessSpec } from "./metrics/preprocess.js";

export type EmbedderKind = "clip" | "dino";

/** Files each kind needs (relative to the folder): CLIP{Vision,Text}ModelWithProjection, Dinov2Model. */
export const REQUIRED_FILES: Record<EmbedderKind, readonly string[]> = {
  clip: ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/vision_model.onnx", "onnx/text_model.onnx"],
  dino: ["config.json", "onnx/model.onnx"],
};

const DEFAULT_SPEC: Record<EmbedderKind, PreprocessSpec> = { clip: OPENCLIP_PREPROCESS, dino: DINOV2_PREPROCESS };

function triple(v: unknown): [number, number, number] | null {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && Number.isFinite(x)) ? (v as [number, number, number]) : null;
}

function positiveInt(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) && v > 0 ? v : null;
}

/** The preprocessing of a folder: preprocessor_config.json's shortest edge, crop, mean, std over the CHEESE defaults. */
export function folderPreprocess(dir: string, kind: EmbedderKind, flag: string): PreprocessSpec {
  const file = join(dir, "preprocessor_config.json");
  const base = DEFAULT_SPEC[kind];
  if (!existsSync(file)) return base;
  let cfg: Record<string, unknown>;
  try {
    cfg = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${flag} ${file}: malformed JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const size = cfg.size as Record<string, unknown> | number | undefined;
  const crop = cfg.crop_size as Record<string, unknown> | number | undefined;
  const spec: PreprocessSpec = {
    resize_shortest: positiveInt(typeof size === "object" ? size?.shortest_edge : size) ?? base.resize_shortest,
    crop: positiveInt(typeof crop === "object" ? crop?.height : crop) ?? base.crop,
    mean: triple(cfg.image_mean) ?? base.mean,
    std: triple(cfg.image_std) ?? base.std,
    interpolation: "bicubic",
  };
  if (spec.crop > spec.resize_shortest) throw new UserError(`${flag} ${file}: crop_size ${spec.crop} larger than size.shortest_edge ${spec.resize_shortest}`);
  return spec;
}

/** Check a model folder has every file its kind needs; returns its absolute path. */
export function checkEmbedderFolder(dir: string, kind: EmbedderKind, flag: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new UserError(`${flag} ${dir}: no such folder`);
  for (const f of REQUIRED_FILES[kind]) {
    if (!existsSync(join(abs, f))) throw new UserError(`${flag} ${dir}: missing ${f} (a ${kind === "clip" ? "CLIP" : "DINOv2"} ONNX folder needs ${REQUIRED_FILES[kind].join(", ")})`);
  }
  return abs;
}

export interface EvalEmbedders {
  clip: Embedder | null;
  dino: Embedder | null;
  /** What eval.json records under "embedders". */
  record: { clip: string | null; dino: string | null; clip_preprocess: PreprocessSpec | null; dino_preprocess: PreprocessSpec | null };
}

/** Load the embedders whose folders are given (checked first, both, before either is loaded). */
export async function loadEvalEmbedders(dirs: { clip?: string | null; dino?: string | null }): Promise<EvalEmbedders> {
  const clipDir = dirs.clip ? checkEmbedderFolder(dirs.clip, "clip", "--clip-model") : null;
  const dinoDir = dirs.dino ? checkEmbedderFolder(dirs.dino, "dino", "--dino-model") : null;
  const clipSpec = clipDir ? folderPreprocess(clipDir, "clip", "--clip-model") : null;
  const dinoSpec = dinoDir ? folderPreprocess(dinoDir, "dino", "--dino-model") : null;
  const clip = clipDir && clipSpec ? await clipEmbedder(clipDir, { pixels: (img) => preprocessImage(img, clipSpec) }) : null;
  const dino = dinoDir && dinoSpec ? await dinoEmbedder(dinoDir, { pixels: (img) => preprocessImage(img, dinoSpec) }) : null;
  return { clip, dino, record: { clip: clipDir, dino: dinoDir, clip_preprocess: clipSpec, dino_preprocess: dinoSpec } };
}
