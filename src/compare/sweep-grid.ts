/**
 * The grid of `portraitrl sweep` (issue 18, an equal tuning budget): a YAML file that names, per RL
 * algorithm, the config fields to tune (dotted paths into the `train --config` fields) and the values
 * of each, e.g.
 *   naspo:
 *     optimizer.lr: [3.0e-4, 1.0e-3]
 *     algo.beta: [10, 100]
 *   flow-grpo:
 *     optimizer.lr: [3.0e-4, 1.0e-3]
 *     algo.clipRange: [1.0e-4, 1.0e-3]
 * Every algorithm gets the same number of trials T: `--trials T`, or its grid's size when all grids are
 * the same size. A grid of exactly T points is run whole; a larger one gives a subset of T points drawn
 * with a seeded shuffle (the seed is recorded). The budget fields are not tunable: every trial trains
 * the same epochs and groups.
 */
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { UserError } from "../runtime/errors.js";
import { Rng } from "../runtime/rng.js";

type Scalar = number | string | boolean;
/** Per algorithm, in file order: knob path → values. */
export type SweepGrid = Record<string, Record<string, Scalar[]>>;
/** One grid point: knob path → value. */
export type Knobs = Record<string, Scalar>;

/** Fields that set the training budget or the run's identity: the same for every trial. */
const NOT_TUNABLE = ["epochs", "groupsPerEpoch", "groupSize", "seed", "preset", "algorithm", "modelPreset"];

const isPlain = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isScalar = (x: unknown): x is Scalar => (typeof x === "number" && Number.isFinite(x)) || typeof x === "string" || typeof x === "boolean";

/** Read and check a grid file; one line (exit 2) naming the file, algorithm and knob for each mistake. */
export function readGrid(file: string, algos: readonly string[]): SweepGrid {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`--grid ${file}: cannot read (${(e as Error).message.split("\n")[0]})`, 2);
  }
  if (!isPlain(raw) || Object.keys(raw).length === 0) throw new UserError(`${file}: expected a mapping of algorithm → {knob path: [values]}`, 2);
  const grid: SweepGrid = {};
  for (const [algo, knobs] of Object.entries(raw)) {
    if (!algos.includes(algo)) throw new UserError(`${file}: ${algo}: not an RL algorithm; valid: ${algos.join(", ")}`, 2);
    if (!isPlain(knobs) || Object.keys(knobs).length === 0) throw new UserError(`${file}: ${algo}: expected a mapping of knob path → [values]`, 2);
    grid[algo] = {};
    for (const [path, values] of Object.entries(knobs)) {
      if (NOT_TUNABLE.includes(path.split(".")[0]!)) {
        throw new UserError(`${file}: ${algo}.${path}: not tunable (every trial gets the same budget and seed; set it with --epochs or --configs)`, 2);
      }
      if (!Array.isArray(values) || values.length === 0 || !values.every(isScalar)) {
        throw new UserError(`${file}: ${algo}.${path}: expected a non-empty list of numbers, strings or booleans`, 2);
      }
      grid[algo]![path] = values;
    }
  }
  return grid;
}

/** The grid points of one algorithm, the last knob varying fastest. */
export function gridPoints(knobs: Record<string, readonly Scalar[]>): Knobs[] {
  let points: Knobs[] = [{}];
  for (const [path, values] of Object.entries(knobs)) points = points.flatMap((p) => values.map((v) => ({ ...p, [path]: v })));
  return points;
}

/** The number of trials every algorithm gets; one line (exit 2) when the grids cannot give each the same. */
export function trialCount(file: string, grid: SweepGrid, trials: number | undefined): number {
  const sizes = Object.entries(grid).map(([algo, knobs]) => [algo, gridPoints(knobs).length] as const);
  if (trials !== undefined) {
    const short = sizes.find(([, n]) => n < trials);
    if (short) throw new UserError(`${file}: ${short[0]} has ${short[1]} grid points, fewer than the ${trials} trials (--trials) every algorithm gets`, 2);
    return trials;
  }
  const [first, ...rest] = sizes;
  const other = rest.find(([, n]) => n !== first![1]);
  if (other) {
    throw new UserError(`${file}: ${other[0]} has ${other[1]} grid points, ${first![0]} has ${first![1]}: every algorithm gets the same number of trials (equal grids, or --trials N)`, 2);
  }
  return first![1];
}

/** T of the grid's points: all of them when there are T, else a seeded subset (in grid order). */
export function selectTrials(points: readonly Knobs[], trials: number, seed: number): Knobs[] {
  if (points.length === trials) return [...points];
  return new Rng(seed).permutation(points.length).slice(0, trials).sort((a, b) => a - b).map((i) => points[i]!);
}

/** A grid point as a config mapping: `optimizer.lr: 1e-3` → `{optimizer: {lr: 1e-3}}`. */
export function knobsToConfig(knobs: Knobs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(knobs)) {
    const keys = path.split(".");
    let node = out;
    for (const k of keys.slice(0, -1)) node = (isPlain(node[k]) ? node[k] : (node[k] = {})) as Record<string, unknown>;
    node[keys[keys.length - 1]!] = value;
  }
  return out;
}
