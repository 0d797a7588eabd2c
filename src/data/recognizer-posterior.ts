/**
 * The recognizer's noise model (recognizer.ts): per-value squared errors → probabilities, and the most
 * probable value of each attribute.
 */
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, type AttributeName, type AttributeValue } from "./attributes.js";

export type AttributeDistributions = { [A in AttributeName]: Record<AttributeValue<A>, number> };

/** Fitted on held-out renders: `npx tsx bench/data.ts --fit --n 1200` (lowest NLL; σ_min hardly matters). */
export const CALIBRATION_TEMPERATURE = 8;
export const SIGMA_MIN = 0.02;

/**
 * p(v) ∝ exp(−(SSE_v − SSE_min) / (2 σ̂² T)) with σ̂² = max(residualVar, σ_min²): the noise model that
 * turns the per-value squared errors into probabilities.
 */
export function posteriors(
  sse: Record<AttributeName, number[]>, residualVar: number,
  temperature = CALIBRATION_TEMPERATURE, sigmaMin = SIGMA_MIN,
): AttributeDistributions {
  const sigma2 = Math.max(residualVar, sigmaMin * sigmaMin);
  const dist: Record<string, Record<string, number>> = {};
  for (const a of ALL_ATTRIBUTES) {
    const row = sse[a];
    const m = Math.min(...row);
    const logits = row.map((e) => -(e - m) / (2 * sigma2 * temperature));
    const z = logits.reduce((acc, l) => acc + Math.exp(l), 0);
    dist[a] = Object.fromEntries(ATTRIBUTE_VALUES[a].map((v, i) => [v, Math.exp(logits[i] ?? -Infinity) / z]));
  }
  return dist as AttributeDistributions;
}

