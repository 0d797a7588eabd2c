/**
 * compare.json (scratch/FORMATS.md): what a compare folder holds and under which settings, so that a
 * second `compare` into the same folder continues it instead of mixing runs.
 *
 * - A folder is continued only under the same data, init checkpoint (by sha256), preset, epochs,
 *   samples, judge, embedders and config files; otherwise one line names the first field that differs
 *   (exit 2).
 * - It may be extended: more seeds, methods or rewards (the old ones must all still be there); it may
 *   not shrink, since its tables would then silently drop finished cells.
 * - An existing compare.json or results.json that is not valid JSON or not of its kind is reported (exit 1)
 *   and never overwritten.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { UserError } from "../runtime/errors.js";
import { issueText } from "../runtime/zod-error.js";
import type { StepLog } from "../runtime/child.js";
import type { StopRule } from "./stop.js";
import { DEFAULT_FORWARD_ENGINE, type ForwardEngine } from "../model/index.js";

export const COMPARE_KIND = "portraitrl-compare";
export const RESULTS_KIND = "portraitrl-compare-results";

export interface CellLog {
  /** Seconds this cell took in the latest invocation (0 when skipped). */
  seconds: number;
  /** Whether the latest invocation found it finished. */
  skipped: boolean;
  /** Seconds over every invocation. */
  seconds_total: number;
  steps: StepLog[];
}

/** The settings two invocations must share to write into the same folder. */
export interface CompareSettings {
  data: string;
  init: string;
  init_sha256: string;
  preset: string;
  epochs: number | null;
  samples: number | null;
  judge: { name: string; model: string | null; levels: number[]; prompts: string | null };
  embedders: { clip: string | null; dino: string | null };
  /** sha256 of CONFIGS/<algo>.yaml per trained algorithm, null when the preset is used as is. */
  configs: Record<string, string | null>;
  /** The forward engine of the rollouts and evals; absent: the default (model/forward.ts). */
  engine?: ForwardEngine;
  /** Which checkpoint of a trained cell is evaluated (src/compare/stop.ts); absent: latest. */
  stop?: StopRule;
}

export interface CompareManifest extends CompareSettings {
  kind: typeof COMPARE_KIND;
  version: 1;
  methods: string[];
  seeds: number[];
  rewards: string[];
  /** True when Table 3's `ours` row is the naspo method's cells (not trained twice). */
  ours_is_naspo: boolean;
  /** The ablation arms by row folder: algorithm, override file and the hashes of it and of the merged config (src/compare/arms.ts). */
  arms?: Record<string, { algo: string; override: string; override_sha256: string; config_sha256: string }>;
  command: string[];
  versions: Record<string, string>;
  created_at: string;
  updated_at: string;
  cells: Record<string, CellLog>;
  table: Record<string, unknown>;
}

const manifestSchema = z.looseObject({
  kind: z.literal(COMPARE_KIND),
  version: z.literal(1),
  methods: z.array(z.string()),
  seeds: z.array(z.number().int()),
  rewards: z.array(z.string()),
  data: z.string(),
  init: z.string(),
  init_sha256: z.string(),
  preset: z.string(),
  epochs: z.number().nullable(),
  samples: z.number().nullable(),
  judge: z.unknown(),
  embedders: z.unknown(),
  configs: z.record(z.string(), z.string().nullable()),
  created_at: z.string(),
  cells: z.record(z.string(), z.looseObject({ seconds_total: z.number() })),
});

/** Parse a JSON file that may exist; a corrupted one is an error (exit 1) that names it. */
async function readJsonIfAny(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UserError(`${path}: unreadable (${(err as Error).message}); not overwriting it`, 1);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: corrupted, not valid JSON (${(err as Error).message}); not overwriting it: repair or remove it`, 1);
  }
}

/** An existing JSON record of a folder (compare.json, sweep.json), checked by `schema` (exit 1 when corrupted, never overwritten), or undefined. */
export async function readRecord<T>(path: string, schema: z.ZodType): Promise<T | undefined> {
  const raw = await readJsonIfAny(path);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`${path}: corrupted, field ${issueText(parsed.error)}; not overwriting it: repair or remove it`, 1);
  }
  return parsed.data as T;
}

/** The existing compare.json, validated (exit 1 when corrupted), or undefined. */
export function readManifest(path: string): Promise<CompareManifest | undefined> {
  return readRecord<CompareManifest>(path, manifestSchema);
}

/** Refuse a corrupted results.json (exit 1) before anything runs. */
export async function checkResultsFile(path: string): Promise<void> {
  const raw = await readJsonIfAny(path);
  if (raw === undefined) return;
  const kind = (raw as { kind?: unknown } | null)?.kind;
  if (kind !== RESULTS_KIND) throw new UserError(`${path}: corrupted, kind is ${JSON.stringify(kind)}, expected "${RESULTS_KIND}"; not overwriting it: repair or remove it`, 1);
}

const SETTING_FIELDS: readonly (keyof CompareSettings)[] = ["data", "init_sha256", "preset", "epochs", "samples", "judge", "embedders"];

/** Throws (exit 2) when `old` cannot be continued by a command with `now`'s settings and lists. */
export function checkContinuation(path: string, old: CompareManifest, now: CompareSettings & { methods: string[]; seeds: number[]; rewards: string[] }): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const refuse = (field: string, was: unknown, is: unknown): never => {
    throw new UserError(`${path}: ${field} differs: ${JSON.stringify(was)} in the compare folder, ${JSON.stringify(is)} in this command (use another --out, or the folder's settings)`, 2);
  };
  for (const f of SETTING_FIELDS) if (!same(old[f], now[f])) refuse(f === "init_sha256" ? "init (checkpoint sha256)" : f, old[f], now[f]);
  const [oldEngine, nowEngine] = [old.engine ?? DEFAULT_FORWARD_ENGINE, now.engine ?? DEFAULT_FORWARD_ENGINE];
  if (oldEngine !== nowEngine) refuse("engine", oldEngine, nowEngine);
  if ((old.stop ?? "latest") !== (now.stop ?? "latest")) refuse("stop", old.stop ?? "latest", now.stop ?? "latest");
  for (const [algo, hash] of Object.entries(now.configs)) {
    if (algo in old.configs && old.configs[algo] !== hash) refuse(`configs/${algo}.yaml (sha256)`, old.configs[algo], hash);
  }
  for (const f of ["methods", "seeds", "rewards"] as const) {
    const dropped = (old[f] as (string | number)[]).filter((x) => !(now[f] as (string | number)[]).includes(x));
    if (dropped.length > 0) {
      throw new UserError(`${path}: ${f} differs: the compare folder has ${JSON.stringify(old[f])}, this command drops ${dropped.join(", ")} (a compare can be extended, not shrunk; use another --out)`, 2);
    }
  }
}
