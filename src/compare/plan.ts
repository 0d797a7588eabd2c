/**
 * The cells of a compare run (issue 6): one per row × seed, each a `portraitrl train` command (none for
 * `sft`) and a `portraitrl eval` command, with fixed folders:
 *   OUT/<method>/seed<k>/{run,eval}        method = sft (eval of --init only), an RL algorithm or an arm
 *   OUT/reward-<name>/seed<k>/{run,eval}   NaSPO trained with --reward <name> (paper Table 3), or an arm
 * The `ours` reward is NaSPO's own reward, so when the naspo method is in the plan (and its config keeps
 * reward ours) it is not trained twice: Table 3 reads `naspo/seed<k>/eval` for it (the rule that
 * `portraitrl report` applies too: "ours" without a reward-ours folder falls back to the naspo method).
 * `trainEvalCell` is the one builder of a train + eval pair, shared with `portraitrl sweep`.
 */
import { join } from "node:path";
import { DEFAULT_FORWARD_ENGINE, type ForwardEngine } from "../model/index.js";
import type { StopRule } from "./stop.js";

/** What every cell of a compare or sweep shares. */
export interface CellCommon {
  /** Absolute folders. */
  data: string;
  init: string;
  preset: string;
  epochs: number | null;
  samples: number | null;
  /** Flags forwarded to every train and eval (the judge flags). */
  judgeArgs: readonly string[];
  /** Flags forwarded to every eval (--clip-model, --dino-model). */
  embedderArgs: readonly string[];
  /** The forward engine of every train's rollouts and every eval's sampling (`--engine`, passed on when not jax). */
  engine: ForwardEngine;
  /** Which checkpoint of a trained cell is evaluated (stop.ts). */
  stop: StopRule;
  progress: boolean;
}

/** One row of a table: what to train (nothing for sft) and under which config file. */
export interface RowPlan {
  /** The folder under OUT ("naspo", "reward-dual-pd", an arm's name). */
  folder: string;
  /** The eval.json `method` label. */
  label: string;
  /** The algorithm to train, or null (sft: evaluate --init). */
  algo: string | null;
  /** `train --reward`, or null (the config's). */
  reward: string | null;
  /** `train --config`, or null (the preset as is). */
  config: string | null;
}

export interface ComparePlanInput extends CellCommon {
  out: string;
  /** Table 1's rows, then Table 3's (already without `ours` when it reuses the naspo cells). */
  rows: readonly RowPlan[];
  seeds: readonly number[];
}

export interface Cell {
  /** "naspo/seed0", "reward-dual-pd/seed1", "trials/naspo/trial0": the folder under OUT. */
  name: string;
  seed: number;
  /** `portraitrl train …` arguments, or null (sft: nothing to train). */
  train: string[] | null;
  /** The checkpoint the eval reads (with stop val-best: what `checkpointOf` resolves once the run is trained). */
  ckpt: string;
  /** The run folder whose validation curve picks the checkpoint (stop val-best), or null (the ckpt as is). */
  valBestOf: string | null;
  evalDir: string;
  eval: string[];
}

/** jax is both commands' default: its commands stay as they were before the flag existed. */
const engineArgs = (engine: ForwardEngine): string[] => (engine === DEFAULT_FORWARD_ENGINE ? [] : ["--engine", engine]);

/** The train (into DIR/run) and eval (of its latest checkpoint, into DIR/eval) of one row at one seed. */
export function trainEvalCell(p: CellCommon, name: string, dir: string, seed: number, row: Omit<RowPlan, "folder">, split: "val" | "test"): Cell {
  const run = join(dir, "run");
  const ckpt = row.algo === null ? p.init : join(run, "checkpoints", "latest");
  const evalDir = join(dir, "eval");
  const train =
    row.algo === null
      ? null
      : [
          "train", "--algo", row.algo, "--preset", p.preset, "--seed", `${seed}`, "--init", p.init, "--data", p.data, "--out", run,
          ...(row.config !== null ? ["--config", row.config] : []),
          ...(p.epochs !== null ? ["--epochs", `${p.epochs}`] : []),
          ...(row.reward !== null ? ["--reward", row.reward] : []),
          ...engineArgs(p.engine),
          ...p.judgeArgs,
          ...(p.progress ? [] : ["--no-progress"]),
        ];
  const evalArgs = [
    "eval", "--ckpt", ckpt, "--data", p.data, "--split", split, "--out", evalDir, "--method", row.label, "--seed", `${seed}`,
    ...(p.samples !== null ? ["--samples", `${p.samples}`] : []),
    ...engineArgs(p.engine),
    ...p.judgeArgs,
    ...p.embedderArgs,
    "--overwrite",
  ];
  return { name, seed, train, ckpt, valBestOf: row.algo !== null && p.stop === "val-best" ? run : null, evalDir, eval: evalArgs };
}

/** The cells, seed-major (every row at seed 0 first, so a partial run already fills a table). */
export function planCells(p: ComparePlanInput): Cell[] {
  return p.seeds.flatMap((seed) => p.rows.map((r) => trainEvalCell(p, `${r.folder}/seed${seed}`, join(p.out, r.folder, `seed${seed}`), seed, r, "test")));
}
