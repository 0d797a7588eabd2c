/**
 * FLUX's timestep schedule (anchors-evaluation.md §4.4, `get_schedule` / `time_shift`):
 *   t_i = linspace(1, 0, steps + 1),  t ← e^mu / (e^mu + (1/t − 1)^sigma)   with sigma = 1,
 *   mu = 0.5 + (1.15 − 0.5)·(L − 256)/(4096 − 256),  L = the number of TARGET tokens
 * (reference tokens are not counted). mu is linear in L and extrapolated outside [256, 4096], as
 * FLUX's `get_lin_function` does; mu = 0 leaves the grid unshifted.
 */

export const BASE_SHIFT = 0.5;
export const MAX_SHIFT = 1.15;
export const BASE_SEQ_LEN = 256;
export const MAX_SEQ_LEN = 4096;

/** mu for a target of `targetTokens` tokens (FLUX dynamic shift). */
export function shiftMu(targetTokens: number): number {
  const slope = (MAX_SHIFT - BASE_SHIFT) / (MAX_SEQ_LEN - BASE_SEQ_LEN);
  return BASE_SHIFT + slope * (targetTokens - BASE_SEQ_LEN);
}

/** `time_shift(mu, sigma, t) = e^mu / (e^mu + (1/t − 1)^sigma)`; maps 0 → 0 and 1 → 1. */
export function timeShift(mu: number, sigma: number, t: number): number {
  if (t <= 0) return 0;
  const e = Math.exp(mu);
  return e / (e + Math.pow(1 / t - 1, sigma));
}

/** How the grid is shifted: by the target token count (FLUX), by a pinned mu, or not at all. */
export type ShiftSpec = { targetTokens: number } | { mu: number } | "none";

/** The mu a shift spec stands for (0 for "none"). */
export function resolveMu(shift: ShiftSpec): number {
  if (shift === "none") return 0;
  return "mu" in shift ? shift.mu : shiftMu(shift.targetTokens);
}

/** The sampling grid: `steps + 1` times from exactly 1 down to exactly 0, shifted by `shift`. */
export function timeGrid(steps: number, shift: ShiftSpec): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const mu = resolveMu(shift);
  return Array.from({ length: steps + 1 }, (_, i) => {
    if (i === 0) return 1;
    if (i === steps) return 0;
    return timeShift(mu, 1, 1 - i / steps);
  });
}
