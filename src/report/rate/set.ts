/**
 * The blinded rating set: every (method, sample) pair becomes an item with an opaque random id, in a
 * seeded shuffled order. set.json keeps the mapping back to methods; it is never served to the page.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { versions } from "../../runtime/versions.js";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../runtime/atomic.js";
import { UserError } from "../../runtime/errors.js";
import { issueText } from "../../runtime/zod-error.js";
import { Rng } from "../../runtime/rng.js";
import type { SampleSource } from "./sources.js";


const itemSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  method: z.string().min(1),
  source: z.number().int().nonnegative(),
  sample_id: z.string().min(1),
  instruction: z.string(),
  reference_image: z.string().min(1),
  generated_image: z.string().min(1),
  judge_dp: z.number().nullable(),
  judge_pf: z.number().nullable(),
});
export type RateItem = z.infer<typeof itemSchema>;

const rateSetSchema = z.strictObject({
  kind: z.literal("portraitrl-rate-set"),
  version: z.literal(1),
  seed: z.number().int(),
  limit: z.number().int().positive().nullable(),
  created_at: z.string(),
  versions: z.looseObject({ portraitrl: z.string(), node: z.string() }),
  sources: z.array(z.strictObject({ dir: z.string(), method: z.string(), samples_sha256: z.string() })).min(1),
  items: z.array(itemSchema).min(1),
});
export type RateSet = z.infer<typeof rateSetSchema>;

export interface RateSetOptions {
  seed: number;
  /** Rate only this many sample ids (drawn among the ids every method has); null = every sample. */
  limit: number | null;
}

function hex32(rng: Rng): string {
  return rng.nextUint32().toString(16).padStart(8, "0");
}

/** Build the set: pick samples (seeded), shuffle every (method, sample) pair (seeded), give opaque ids. */
export function buildRateSet(sources: readonly SampleSource[], opts: RateSetOptions): RateSet {
  const rng = new Rng(opts.seed);
  let keep: Set<string> | null = null;
  if (opts.limit !== null) {
    const common = sources[0]!.samples
      .map((s) => s.sample_id)
      .filter((id) => sources.every((src) => src.samples.some((s) => s.sample_id === id)));
    if (common.length < opts.limit) {
      throw new UserError(`rate: --limit ${opts.limit} but only ${common.length} sample ids are present in every method`, 2);
    }
    keep = new Set(rng.permutation(common.length).slice(0, opts.limit).map((i) => common[i]!));
  }
  const pairs: RateItem[] = [];
  for (const [source, src] of sources.entries()) {
    for (const s of src.samples) {
      if (keep !== null && !keep.has(s.sample_id)) continue;
      pairs.push({ id: "", method: src.method, source, ...s });
    }
  }
  const items = rng.permutation(pairs.length).map((i) => pairs[i]!);
  const ids = new Set<string>();
  for (const item of items) {
    let id: string;
    do id = hex32(rng) + hex32(rng);
    while (ids.has(id));
    ids.add(id);
    item.id = id;
  }
  return {
    kind: "portraitrl-rate-set",
    version: 1,
    seed: opts.seed,
    limit: opts.limit,
    created_at: new Date().toISOString(),
    versions: versions(),
    sources: sources.map((s) => ({ dir: s.dir, method: s.method, samples_sha256: s.samples_sha256 })),
    items,
  };
}

/** Read and validate RATINGS_DIR/set.json. */
export async function readRateSet(outDir: string): Promise<RateSet> {
  const where = join(outDir, "set.json");
  let json: unknown;
  try {
    json = JSON.parse(await readFile(where, "utf8"));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new UserError(`${where}: ${missing ? "not found (not a ratings folder; prepare one with rate --samples)" : `malformed JSON (${(err as Error).message})`}`, 1);
  }
  const parsed = rateSetSchema.safeParse(json);
  if (!parsed.success) {
    throw new UserError(`${where}: ${issueText(parsed.error)}`, 1);
  }
  return parsed.data;
}

function sameSources(a: RateSet["sources"], b: RateSet["sources"]): boolean {
  return a.length === b.length && a.every((s, i) => s.dir === b[i]!.dir && s.method === b[i]!.method && s.samples_sha256 === b[i]!.samples_sha256);
}

/**
 * Use RATINGS_DIR/set.json when it was prepared from the same samples, seed and limit (so ids and orders
 * stay stable across restarts); otherwise create it. A set prepared from other samples is refused.
 */
export async function prepareRateSet(
  outDir: string,
  sources: readonly SampleSource[],
  opts: RateSetOptions,
): Promise<{ set: RateSet; reused: boolean }> {
  const fresh = buildRateSet(sources, opts);
  if (existsSync(join(outDir, "set.json"))) {
    const existing = await readRateSet(outDir);
    if (existing.seed !== opts.seed || existing.limit !== opts.limit || !sameSources(existing.sources, fresh.sources)) {
      throw new UserError(
        `${join(outDir, "set.json")}: prepared from other samples, seed or limit (seed ${existing.seed}, limit ${existing.limit}, ${existing.sources.length} folders); pass another --out`,
        2,
      );
    }
    return { set: existing, reused: true };
  }
  await writeFileAtomic(join(outDir, "set.json"), `${JSON.stringify(fresh, null, 2)}\n`);
  return { set: fresh, reused: false };
}

/** FNV-1a of a string, to derive a per-rater seed. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, "utf8")) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

/** The order one rater sees: the set's items shuffled again with seed (set seed + FNV-1a(rater)). */
export function raterOrder(set: RateSet, rater: string): string[] {
  return new Rng((set.seed + fnv1a(rater)) >>> 0).permutation(set.items.length).map((i) => set.items[i]!.id);
}
