/**
 * `data synth`: a CHEESE-like dataset folder. Train, validation and test identities are disjoint (no
 * identity attribute combination appears in two splits); validation and test hold one triplet per
 * identity (the CHEESE rule) and may use held-out instruction templates. Every choice (stop epoch, β,
 * learning rate) is made on validation; test is read only for reported numbers. With `sftDefects`, the
 * training targets come from an imperfect editor (defects.ts); validation and test targets stay exact. Written to a temporary folder and renamed, so an
 * interrupted run leaves nothing half-written. Same options → byte-identical files.
 */
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { ownVersion } from "../runtime/versions.js";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../runtime/errors.js";
import type { RecordAttributes } from "./attributes.js";
import { recordToJson, SPLITS, type DatasetRecord, type Split } from "./dataset.js";
import { NO_DEFECTS, hasDefects, renderDefective, sampleDefects, type DefectRates } from "./defects.js";
import { encodePng } from "./image-io.js";
import { writeInstruction } from "./instructions.js";
import { keypoints, renderPortrait } from "./render.js";
import { Rng } from "./rng.js";
import { identityKey, sampleIdentity, sampleTriplet } from "./triplets.js";

export interface SynthOptions {
  out: string;
  /** Training identities. */
  identities: number;
  /** Triplets per training identity. */
  perIdentity: number;
  size: number;
  seed: number;
  /** Test identities (one triplet each); default ceil(identities / 6). */
  testIdentities?: number;
  /** Validation identities (one triplet each, drawn like the test split); default: as many as test. */
  valIdentities?: number;
  /** Defects of the imperfect editor behind the training targets (defects.ts); default none. */
  sftDefects?: DefectRates;
}

export interface SynthSummary {
  out: string;
  train: number;
  val: number;
  test: number;
  images: number;
}

/** Mixed into the seed of the defects' own stream (any constant: it only has to differ from the seed). */
const DEFECT_STREAM = 0x5f7d3a1b;


export function checkSynthOptions(o: SynthOptions): void {
  const int = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UserError(`--${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int("identities", o.identities, 1, 100_000);
  int("per-identity", o.perIdentity, 1, 1000);
  int("size", o.size, 16, 256);
  if (o.size % 8 !== 0) throw new UserError(`--size must be a multiple of 8, got ${o.size}`);
  int("seed", o.seed, 0, 2 ** 32 - 1);
  if (o.testIdentities !== undefined) int("test-identities", o.testIdentities, 1, 100_000);
  if (o.valIdentities !== undefined) int("val-identities", o.valIdentities, 1, 100_000);
  for (const [k, v] of Object.entries(o.sftDefects ?? NO_DEFECTS)) {
    if (!(v >= 0 && v <= 1)) throw new UserError(`--sft-defects: ${k} must be a rate in [0, 1], got ${v}`);
  }
}

export async function synthesizeDataset(opts: SynthOptions): Promise<SynthSummary> {
  checkSynthOptions(opts);
  const out = resolve(opts.out);
  const nonEmpty = await stat(out).then(async (s) => !s.isDirectory() || (await readdir(out)).length > 0, () => false);
  if (nonEmpty) throw new UserError(`${opts.out}: already exists and is not an empty folder; choose a new --out`);
  const nTest = opts.testIdentities ?? Math.ceil(opts.identities / 6);
  const nVal = opts.valIdentities ?? nTest;
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, "images"), { recursive: true });
  const rng = new Rng(opts.seed);
  const defects = opts.sftDefects ?? NO_DEFECTS;
  const defectRng = new Rng((opts.seed ^ DEFECT_STREAM) >>> 0);
  const used = new Set<string>();
  let images = 0;
  const lines: Record<Split, string[]> = { train: [], val: [], test: [] };
  const prefix: Record<Split, string> = { train: "c", val: "v", test: "t" };
  try {
    // Validation comes last, so adding it left the train and test bytes of a seed as they were.
    for (const [split, count, per] of [["train", opts.identities, opts.perIdentity], ["test", nTest, 1], ["val", nVal, 1]] as const) {
      for (let i = 0; i < count; i++) {
        let id = sampleIdentity(rng);
        while (used.has(identityKey(id))) id = sampleIdentity(rng);
        used.add(identityKey(id));
        const cid = `${prefix[split]}${String(i).padStart(5, "0")}`;
        for (let k = 0; k < per; k++) {
          const t = sampleTriplet(id, rng);
          const instruction = writeInstruction(t.changes, rng, split !== "train");
          const ref = join(tmp, "images", cid, `${k}_ref.png`);
          const tgt = join(tmp, "images", cid, `${k}_tgt.png`);
          await mkdir(dirname(ref), { recursive: true });
          await writeFile(ref, await encodePng(renderPortrait(t.reference, opts.size), opts.size));
          const defective = split === "train" && hasDefects(defects) ? sampleDefects(t, defects, defectRng) : null;
          const targetImage = defective ? renderDefective(defective, opts.size) : renderPortrait(t.target, opts.size);
          await writeFile(tgt, await encodePng(targetImage, opts.size));
          images += 2;
          const attributes: RecordAttributes = {
            reference: t.reference, target: t.target, changes: t.changes,
            targetKeypoints: keypoints(t.target, opts.size), referenceKeypoints: keypoints(t.reference, opts.size), size: opts.size,
            ...(defective ? { targetDefects: defective.defects } : {}),
          };
          const rec: DatasetRecord = {
            id: `${cid}_${k}`, collectionId: cid, referenceImage: ref, instruction, targetImage: tgt, attributes,
            source: { file: "", line: 0 },
          };
          lines[split].push(recordToJson(tmp, rec));
        }
      }
    }
    for (const split of SPLITS) await writeFile(join(tmp, `${split}.jsonl`), lines[split].join("\n") + "\n");
    const meta = {
      generator: "portraitrl data synth", version: ownVersion(),
      config: {
        identities: opts.identities, perIdentity: opts.perIdentity, testIdentities: nTest, valIdentities: nVal, size: opts.size, seed: opts.seed,
        ...(hasDefects(defects) ? { sftDefects: defects } : {}),
      },
      counts: { train: lines.train.length, val: lines.val.length, test: lines.test.length, images },
    };
    await writeFile(join(tmp, "dataset.json"), JSON.stringify(meta, null, 2) + "\n");
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { out, train: lines.train.length, val: lines.val.length, test: lines.test.length, images };
}
