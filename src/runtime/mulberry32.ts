/**
 * mulberry32: a tiny seeded generator of uniforms in [0, 1), the same stream on every platform. The
 * benchmark renderer and the bootstrap resampler use it (their recorded outputs depend on this exact
 * stream); new code should prefer `Rng` (xoshiro128**, serialisable state).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
