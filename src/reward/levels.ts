/** Score levels M = {m_0..m_n}: each must be one token for the judge, so a single digit (Qwen splits numbers into digits). */
import { UserError } from "../runtime/errors.js";

export const DEFAULT_LEVELS: readonly number[] = [0, 1, 2, 3, 4];

/** Validates levels: at least two, distinct single digits 0–9, ascending. */
export function checkLevels(levels: readonly number[], where = "--levels"): number[] {
  if (levels.length < 2) throw new UserError(`${where}: need at least two score levels, got ${levels.length}`);
  for (const l of levels) {
    if (!Number.isInteger(l) || l < 0 || l > 9) throw new UserError(`${where}: level '${l}' is not a single-token digit 0-9`);
  }
  for (let i = 1; i < levels.length; i++) {
    if ((levels[i] as number) <= (levels[i - 1] as number)) throw new UserError(`${where}: levels must be distinct and ascending`);
  }
  return [...levels];
}

/** Parses "0,1,2,3,4" (or "0-4") into checked levels. */
export function parseLevels(text: string, where = "--levels"): number[] {
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const parts = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => String(Number(range[1]) + i))
    : text.split(",").map((s) => s.trim());
  for (const p of parts) {
    if (!/^\d$/.test(p)) throw new UserError(`${where}: level '${p}' is not a single-token digit 0-9`);
  }
  return checkLevels(parts.map(Number), where);
}
