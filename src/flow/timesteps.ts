/**
 * Training-time timestep sampling: logit-normal, `t = sigmoid(m + s·n)`, n ~ N(0, 1) (SD3 /
 * rectified-flow training; Kontext shifts it by resolution, so an optional FLUX time shift with mu
 * is applied afterwards, `t ← e^mu / (e^mu + (1/t − 1))`).
 */
import { nn, np, random, type JaxArray } from "../runtime/jax.js";

export interface LogitNormalOptions {
  /** Mean of the underlying normal (default 0). */
  mean?: number;
  /** Standard deviation of the underlying normal (default 1). */
  std?: number;
  /** FLUX time shift applied to the samples (default 0 = none). */
  mu?: number;
}

/** The logit-normal time of one standard-normal deviate `z` (host-side twin of the sampler below). */
export function logitNormalTime(z: number, opts: LogitNormalOptions = {}): number {
  const { mean = 0, std = 1, mu = 0 } = opts;
  const t = 1 / (1 + Math.exp(-(mean + std * z)));
  if (mu === 0) return t;
  const et = Math.exp(mu) * t;
  return et / (et + 1 - t);
}

/**
 * `n` timesteps in (0, 1) from a logit-normal distribution → [n]. Consumes `key`. Traceable
 * (only `key` is an array), so it can run inside a jitted train step.
 */
export function sampleLogitNormal(key: JaxArray, n: number, opts: LogitNormalOptions = {}): JaxArray {
  const { mean = 0, std = 1, mu = 0 } = opts;
  const t = nn.sigmoid(random.normal(key, [n]).mul(std).add(mean));
  if (mu === 0) return t;
  // time_shift(mu, 1, t) = e^mu / (e^mu + 1/t − 1) = e^mu·t / (e^mu·t + 1 − t)
  const et = t.ref.mul(Math.exp(mu));
  return et.ref.div(et.add(np.negative(t).add(1)));
}
