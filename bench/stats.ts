/** Small helpers the benches share: a `--name value` flag, the median, rounding, and a median/min/max spread. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? def) : def;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const round = (x: number, d = 1): number => +x.toFixed(d);

export const spread = (xs: number[], d = 1): { median: number; min: number; max: number } => ({ median: round(median(xs), d), min: round(Math.min(...xs), d), max: round(Math.max(...xs), d) });

/** The flags every model bench takes: `--preset` (small), `--batch` (32), `--rounds` (5), `--reps` (3). */
/** `--preset P --batch B --rounds R --reps K [--config SFT.yaml]`; `--config`'s `model:` overrides the preset's fields (configs/sft-base.yaml). */
export function modelBenchArgs(): { preset: string; B: number; rounds: number; reps: number; config: string | null } {
  return { preset: arg("preset", "small"), B: Number(arg("batch", "32")), rounds: Number(arg("rounds", "5")), reps: Number(arg("reps", "3")), config: arg("config", "") || null };
}
