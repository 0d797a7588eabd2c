/**
 * Which rows a `compare:paper-budget` invocation trains, and what its grid is called
 * (scripts/compare-paper-budget.ts; tested in test/scripts/paper-budget-rows.test.ts).
 */

/**
 * The RL rows to train, in the order of `all`: the ones `--rows` asked for and the ones the compare folder
 * already has (a compare folder can be extended, not shrunk). `--rows none` asks for none and trains none,
 * so only SFT continued runs.
 */
export function rowsToTrain(all: readonly string[], asked: readonly string[] | "none", there: readonly string[]): string[] {
  if (asked === "none") return [];
  return all.filter((r) => asked.includes(r) || there.includes(r));
}

/** The grid's file name: `grid-test-seedK.png` when it shows every row, else the rows it shows besides SFT. */
export function gridFileName(seed: number, shown: readonly string[], all: readonly string[]): string {
  const complete = all.every((r) => shown.includes(r));
  return `grid-test-seed${seed}${complete ? "" : `.${all.filter((r) => r !== "sft" && shown.includes(r)).join("+")}`}.png`;
}
