/**
 * The cells of a compare run (issue 6): one per method × seed and one per reward × seed, each a
 * `portraitrl train` command (none for `sft`) and a `portraitrl eval` command, with fixed folders:
 *   OUT/<method>/seed<k>/{run,eval}        method = sft (eval of --init only) or an RL algorithm
 *   OUT/reward-<name>/seed<k>/{run,eval}   NaSPO trained with --reward <name> (paper Table 3)
 * The `ours` reward is NaSPO's own reward, so when the naspo method is in the plan (and its config keeps
 * reward ours) it is not trained twice: Table 3 reads `naspo/seed<k>/eval` for it (the rule that
 * `portraitrl report` applies too: "ours" without a reward-ours folder falls back to the naspo method).
 */
import { join } from "node:path";

export interface ComparePlanInput {
  /** Absolute folders. */
  data: string;
  init: string;
  out: string;
  /** "sft" or RL algorithm names, in table order. */
  methods: readonly string[];
  rewards: readonly string[];
  seeds: readonly number[];
  preset: string;
  epochs: number | null;
  samples: number | null;
  /** Config file per algorithm (CONFIGS/<algo>.yaml when it exists). */
  configFiles: Readonly<Record<string, string>>;
  /** Whether `ours` is the naspo method's cell (naspo among the methods, its reward `ours`). */
  oursIsNaspo: boolean;
  /** Flags forwarded to every train and eval (the judge flags). */
  judgeArgs: readonly string[];
  /** Flags forwarded to every eval (--clip-model, --dino-model). */
  embedderArgs: readonly string[];
  progress: boolean;
}

export interface Cell {
  /** "naspo/seed0", "reward-dual-pd/seed1": the folder under OUT. */
  name: string;
  seed: number;
  /** `portraitrl train …` arguments, or null (sft: nothing to train). */
  train: string[] | null;
  /** The checkpoint the eval reads. */
  ckpt: string;
  evalDir: string;
  eval: string[];
}

/** The cells, seed-major (every method and reward at seed 0 first, so a partial run already fills a table). */
export function planCells(p: ComparePlanInput): Cell[] {
  const cell = (folder: string, seed: number, label: string, algo: string | null, reward: string | null): Cell => {
    const name = `${folder}/seed${seed}`;
    const dir = join(p.out, folder, `seed${seed}`);
    const run = join(dir, "run");
    const ckpt = algo === null ? p.init : join(run, "checkpoints", "latest");
    const evalDir = join(dir, "eval");
    const config = algo === null ? undefined : p.configFiles[algo];
    const train =
      algo === null
        ? null
        : [
            "train", "--algo", algo, "--preset", p.preset, "--seed", `${seed}`, "--init", p.init, "--data", p.data, "--out", run,
            ...(config !== undefined ? ["--config", config] : []),
            ...(p.epochs !== null ? ["--epochs", `${p.epochs}`] : []),
            ...(reward !== null ? ["--reward", reward] : []),
            ...p.judgeArgs,
            ...(p.progress ? [] : ["--no-progress"]),
          ];
    const evalArgs = [
      "eval", "--ckpt", ckpt, "--data", p.data, "--split", "test", "--out", evalDir, "--method", label, "--seed", `${seed}`,
      ...(p.samples !== null ? ["--samples", `${p.samples}`] : []),
      ...p.judgeArgs,
      ...p.embedderArgs,
      "--overwrite",
    ];
    return { name, seed, train, ckpt, evalDir, eval: evalArgs };
  };
  const cells: Cell[] = [];
  for (const seed of p.seeds) {
    for (const m of p.methods) cells.push(cell(m, seed, m, m === "sft" ? null : m, null));
    for (const r of p.rewards) {
      if (r === "ours" && p.oursIsNaspo) continue;
      cells.push(cell(`reward-${r}`, seed, `naspo-reward-${r}`, "naspo", r));
    }
  }
  return cells;
}
