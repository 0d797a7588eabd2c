/**
 * The recognizer: pixels → a probability distribution over every attribute.
 *
 * Why analysis-by-synthesis and not a trained network: the renderer is known exactly, so the likelihood
 * of an attribute value is computable without training, without shipped weights, and every decision
 * is explainable ("the sleeves are where an `up` arm would be"). It is also fast enough for the RL
 * loop, because of one factorisation: a render is slot coverage W (pixels × slots) times slot colours
 * C (slots × 3), so for a fixed geometry the squared error of ANY colour assignment is
 *   SSE(C) = Σ‖x‖² − 2·tr(Cᵀ WᵀX) + tr(Cᵀ (WᵀW) C),
 * a few hundred flops from the sufficient statistics WᵀW and WᵀX. Colour attributes (skin, hair
 * colour, top, trousers, background) are therefore profiled out of every geometric hypothesis for free,
 * and only the geometry is rendered.
 *
 * Blur is modelled too: blur is linear, so a blurred render is blur(W)·C and the same statistics hold
 * for the blurred coverage. A blurred image is band-limited, so blurred fits compare 16 × 16 box
 * averages: 4× fewer pixels, nothing visible lost. If the fit leaves a residual std above
 * BLUR_MIN_RESIDUAL, the σ in BLURS that best explains the estimate is adopted when it lowers the 16 px
 * error of the unblurred template enough: by 30% at the coarse estimate (then the fine search runs
 * blurred), else by 10% at the fine estimate (then the fine search continues blurred).
 *
 * Search (iterated conditional modes): colours and camera (shot × position jointly, with both arms
 * down, out or up) first; from the best start of each plausible shot, body turn × both arms jointly,
 * then one sweep over the large-area attributes; from the best of those (coarse), sweeps over all
 * geometric attributes until one changes nothing (fine).
 *
 * Probabilities: in the final, unchanged sweep every value v of attribute a was scored with all else at
 * the estimate (colours re-profiled): p(v) ∝ exp(−(SSE_v − SSE_min) / (2 σ̂² T)), where σ̂² =
 * max(SSE_best / 3P, σ_min²) is the noise variance the best fit leaves per pixel and channel (so a noisy
 * or badly explained image gets flatter posteriors) and T = CALIBRATION_TEMPERATURE accounts for
 * correlated pixels; T was fitted for calibration (lowest NLL) by `npx tsx bench/data.ts --fit` on renders
 * of identities no benchmark uses, clean and degraded. An attribute out of frame (legs in a close-up)
 * renders the same for every value and so gets a uniform distribution.
 *
 * Speed: what a geometry contributes whatever the image (WᵀW, the coverage) is cached across calls in
 * bounded LRU caches, so the 27 starting framings and common poses are rendered once per process;
 * results never depend on the cache. Measured in bench/data.ts.
 *
 * Works at 32 px; larger images that are multiples of 32 are box-downsampled first, smaller ones that divide 32
 * (the tiny model's 16 px) pixel-replicated up.
 */
import { ALL_ATTRIBUTES, ATTRIBUTE_VALUES, type AttributeName, type PortraitAttributes } from "./attributes.js";
import { slotColours } from "./palette.js";
import { LOW, LP, P, S, WORK, blurredGeometry, sharpGeometry } from "./recognizer-geometry.js";
import { posteriors, type AttributeDistributions } from "./recognizer-posterior.js";
import { boxDown, toWorkSize } from "./recognizer-resample.js";
import { COLOUR_ATTRS, COLOUR_TABLE, type ColourAttr } from "./recognizer-colours.js";

const GEOMETRY_ATTRS = ["shot", "position", "body", "legs", "rightArm", "leftArm", "head", "hairStyle", "accessory", "topPattern"] as const;
type GeometryAttr = (typeof GEOMETRY_ATTRS)[number];
/** The attributes that move large areas: a restart sweeps only these. */
const COARSE_ATTRS: readonly GeometryAttr[] = ["shot", "position", "body", "rightArm", "leftArm"];
const MAX_SWEEPS = 4;
/** A shot's best start is searched from only if its error is within this factor of the best start's. */
const RESTART_RATIO = 2;
/** Blur levels (σ, pixels at 32 px) tried, and the error ratio a blur must beat at the fine estimate. */
const BLURS = [0.6, 1, 1.4];
const BLUR_GAIN = 0.9;
/** At the coarse estimate (pose partly wrong) blur must explain much more to be adopted at once. */
const BLUR_GAIN_COARSE = 0.7;
/** Residual std below which the image is taken as sharp (clean renders leave 0.02–0.05, mostly anti-aliasing). */
const BLUR_MIN_RESIDUAL = 0.06;

interface Stats {
  gram: Float64Array; // S×S
  xw: Float64Array; // S×3
}

interface Fit {
  p: PortraitAttributes;
  sse: number;
}

class Fitter {
  private readonly c = new Float64Array(S * 3);
  private readonly d = new Float64Array(S * 3);
  readonly xx: number;
  /** The image box-averaged to LOW × LOW, for blurred fits, and its Σ‖x‖². */
  private readonly xLow: Float32Array;
  private readonly xxLow: number;
  private readonly cache = new Map<string, Stats>();

  /** Pixels the current fit compares (LOW² when blurred). */
  pixels(): number {
    return this.low ? LP : P;
  }
  private blur = 0;
  private low = false;
  private kernel = new Float64Array([1]);
  private clampIndex = new Int32Array(WORK);

  constructor(readonly x: Float32Array) {
    let xx = 0;
    for (let i = 0; i < x.length; i++) xx += (x[i] ?? 0) ** 2;
    this.xx = xx;
    this.xLow = boxDown(x, WORK, LOW);
    this.xxLow = this.xLow.reduce((acc, v) => acc + v * v, 0);
  }

  /** Sufficient statistics WᵀW and WᵀX of the geometry of `p` (colours ignored), memoised. */
  stats(p: PortraitAttributes): Stats {
    const gkey = GEOMETRY_ATTRS.map((a) => p[a]).join(",");
    const key = this.low ? `${this.blur}|${gkey}` : gkey;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const xw = new Float64Array(S * 3);
    let gram: Float64Array;
    if (this.low) {
      const g = blurredGeometry(p, gkey, this.blur, this.kernel, this.clampIndex);
      gram = g.gram;
      const m = g.slots.length;
      const x = this.xLow;
      for (let q = 0; q < LP; q++) {
        const r = x[q * 3] ?? 0, gr = x[q * 3 + 1] ?? 0, b = x[q * 3 + 2] ?? 0;
        for (let i = 0; i < m; i++) {
          const w = g.bw[q * m + i] ?? 0;
          if (w === 0) continue;
          const sl = g.slots[i] ?? 0;
          xw[sl * 3] = (xw[sl * 3] ?? 0) + w * r;
          xw[sl * 3 + 1] = (xw[sl * 3 + 1] ?? 0) + w * gr;
          xw[sl * 3 + 2] = (xw[sl * 3 + 2] ?? 0) + w * b;
        }
      }
    } else {
      const g = sharpGeometry(p, gkey);
      gram = g.gram;
      const x = this.x;
      for (let q = 0; q < P; q++) {
        const r = x[q * 3] ?? 0, gr = x[q * 3 + 1] ?? 0, b = x[q * 3 + 2] ?? 0;
        const pure = g.pure[q] ?? 0;
        if (pure >= 0) {
          xw[pure * 3] = (xw[pure * 3] ?? 0) + r;
          xw[pure * 3 + 1] = (xw[pure * 3 + 1] ?? 0) + gr;
          xw[pure * 3 + 2] = (xw[pure * 3 + 2] ?? 0) + b;
          continue;
        }
        // A mixed pixel: coverage is the mean of its 4 sample indicators.
        for (let i = 0; i < 4; i++) {
          const sl = g.labels[q * 4 + i] ?? 0;
          xw[sl * 3] = (xw[sl * 3] ?? 0) + r / 4;
          xw[sl * 3 + 1] = (xw[sl * 3 + 1] ?? 0) + gr / 4;
          xw[sl * 3 + 2] = (xw[sl * 3 + 2] ?? 0) + b / 4;
        }
      }
    }
    const st = { gram, xw };
    this.cache.set(key, st);
    return st;
  }

  /** Model a Gaussian blur of σ pixels at 32 px; `low`: compare LOW × LOW box averages (always, when σ > 0). */
  setBlur(sigma: number, low: boolean): void {
    this.blur = sigma;
    this.low = low || sigma > 0;
    if (!this.low) return;
    const sl = (sigma * LOW) / WORK;
    const r = sigma > 0 ? Math.max(1, Math.ceil(2.5 * sl)) : 0;
    const k = Array.from({ length: 2 * r + 1 }, (_, i) => (sigma > 0 ? Math.exp(-((i - r) ** 2) / (2 * sl * sl)) : 1));
    const z = k.reduce((a, b) => a + b, 0);
    this.kernel = Float64Array.from(k, (v) => v / z);
    // clampIndex[i + t] = the row/column read by tap t at i (borders repeat the edge).
    this.clampIndex = Int32Array.from({ length: LOW + 2 * r }, (_, i) => Math.min(LOW - 1, Math.max(0, i - r)));
  }

  /** ‖X − W C‖² = Σ‖x‖² − 2 tr(Cᵀ WᵀX) + tr(Cᵀ WᵀW C), for the colours in this.c. */
  private sse(st: Stats): number {
    const c = this.c;
    let lin = 0;
    let quad = 0;
    for (let s = 0; s < S; s++) {
      const cs0 = c[s * 3] ?? 0, cs1 = c[s * 3 + 1] ?? 0, cs2 = c[s * 3 + 2] ?? 0;
      lin += (st.xw[s * 3] ?? 0) * cs0 + (st.xw[s * 3 + 1] ?? 0) * cs1 + (st.xw[s * 3 + 2] ?? 0) * cs2;
      for (let t = 0; t < S; t++) {
        const gst = st.gram[s * S + t] ?? 0;
        if (gst !== 0) quad += gst * (cs0 * (c[t * 3] ?? 0) + cs1 * (c[t * 3 + 1] ?? 0) + cs2 * (c[t * 3 + 2] ?? 0));
      }
    }
    return Math.max(0, (this.low ? this.xxLow : this.xx) - 2 * lin + quad);
  }

  private setColour(entry: (typeof COLOUR_TABLE)[number], v: number): void {
    const row = entry.rows[v];
    if (!row) return;
    entry.slots.forEach((s, k) => {
      this.c[s * 3] = row[k * 3] ?? 0;
      this.c[s * 3 + 1] = row[k * 3 + 1] ?? 0;
      this.c[s * 3 + 2] = row[k * 3 + 2] ?? 0;
    });
  }

  /** Best colour attributes for the geometry of `p` (coordinate descent from p's colours). */
  profile(p: PortraitAttributes, passes = 2): Fit {
    const st = this.stats(p);
    this.c.set(slotColours(p));
    const idx = COLOUR_TABLE.map((e) => (ATTRIBUTE_VALUES[e.attr] as readonly string[]).indexOf(p[e.attr]));
    let best = this.sse(st);
    for (let pass = 0; pass < passes; pass++) {
      let changed = false;
      COLOUR_TABLE.forEach((e, k) => {
        const cur = idx[k] ?? 0;
        let bestV = cur;
        let bestDelta = 0;
        for (let v = 0; v < e.rows.length; v++) {
          if (v === cur) continue;
          const d = this.delta(st, e, v);
          if (d < bestDelta) {
            bestDelta = d;
            bestV = v;
          }
        }
        if (bestV !== cur) {
          this.setColour(e, bestV);
          best += bestDelta;
          idx[k] = bestV;
          changed = true;
        }
      });
      if (!changed) break;
    }
    const out: Record<string, string> = { ...p };
    COLOUR_TABLE.forEach((e, k) => (out[e.attr] = ATTRIBUTE_VALUES[e.attr][idx[k] ?? 0] ?? p[e.attr]));
    return { p: out as PortraitAttributes, sse: Math.max(0, best) };
  }

  /**
   * Change of the SSE when the slots of `e` take colour row v (D = new − current on those slots, G
   * symmetric): Δ = −2 Σₛ xwₛ·dₛ + 2 Σₛ Σₜ Gₛₜ dₛ·cₜ + Σₛₜ Gₛₜ dₛ·dₜ, with s, t over e's slots except in cₜ.
   */
  private delta(st: Stats, e: (typeof COLOUR_TABLE)[number], v: number): number {
    const row = e.rows[v];
    if (!row) return 0;
    const c = this.c;
    const d = this.d;
    const slots = e.slots;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k] ?? 0;
      for (let ch = 0; ch < 3; ch++) d[k * 3 + ch] = (row[k * 3 + ch] ?? 0) - (c[s * 3 + ch] ?? 0);
    }
    let out = 0;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k] ?? 0;
      const d0 = d[k * 3] ?? 0, d1 = d[k * 3 + 1] ?? 0, d2 = d[k * 3 + 2] ?? 0;
      out -= 2 * ((st.xw[s * 3] ?? 0) * d0 + (st.xw[s * 3 + 1] ?? 0) * d1 + (st.xw[s * 3 + 2] ?? 0) * d2);
      for (let t = 0; t < S; t++) {
        const g = st.gram[s * S + t] ?? 0;
        if (g !== 0) out += 2 * g * (d0 * (c[t * 3] ?? 0) + d1 * (c[t * 3 + 1] ?? 0) + d2 * (c[t * 3 + 2] ?? 0));
      }
      for (let m = 0; m < slots.length; m++) {
        const g = st.gram[s * S + (slots[m] ?? 0)] ?? 0;
        if (g !== 0) out += g * (d0 * (d[m * 3] ?? 0) + d1 * (d[m * 3 + 1] ?? 0) + d2 * (d[m * 3 + 2] ?? 0));
      }
    }
    return out;
  }

  /** SSE of every value of a colour attribute, all else fixed. */
  colourScores(p: PortraitAttributes, a: ColourAttr): number[] {
    const st = this.stats(p);
    const e = COLOUR_TABLE.find((t) => t.attr === a);
    this.c.set(slotColours(p));
    return ATTRIBUTE_VALUES[a].map((_, v) => {
      if (e) this.setColour(e, v);
      return this.sse(st);
    });
  }
}

const NEUTRAL: Omit<PortraitAttributes, (typeof COLOUR_ATTRS)[number]> = {
  hairStyle: "short", topPattern: "plain", accessory: "none", rightArm: "down", leftArm: "down", head: "front",
  legs: "together", body: "front", shot: "full", position: "center",
};

interface SearchResult {
  est: PortraitAttributes;
  sse: number;
  scores: Map<AttributeName, number[]>;
}

/** ICM sweeps over the geometric attributes from `start`, at most `maxSweeps`, stopping at a sweep that changes nothing. */
function search(
  f: Fitter, start: PortraitAttributes, maxSweeps: number, attrs: readonly GeometryAttr[] = GEOMETRY_ATTRS,
): SearchResult {
  let est = start;
  let sse = Infinity;
  let scores = new Map<AttributeName, number[]>();
  let converged = false;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    converged = true;
    scores = new Map();
    for (const a of attrs) {
      const row: number[] = [];
      let best: { p: PortraitAttributes; sse: number } | undefined;
      for (const v of ATTRIBUTE_VALUES[a]) {
        const fit = f.profile({ ...est, [a]: v } as PortraitAttributes, 1);
        row.push(fit.sse);
        if (!best || fit.sse < best.sse - 1e-9) best = fit;
      }
      scores.set(a, row);
      if (best) {
        if (best.p[a] !== est[a]) converged = false;
        est = best.p;
        sse = best.sse;
      }
    }
  }
  for (const a of COLOUR_ATTRS) scores.set(a, f.colourScores(est, a));
  return { est, sse, scores };
}

/** Colours and camera from symmetric arm poses (all 9 framings × 3); from the best start of each plausible shot, body × arms jointly and a sweep over the large-area attributes. */
function coarseFit(f: Fitter): SearchResult {
  const seed = { ...NEUTRAL, background: "mint", skin: "light", hairColor: "black", topColor: "red", trousers: "navy" } as PortraitAttributes;
  const bestPerShot = new Map<string, Fit>();
  for (const shot of ATTRIBUTE_VALUES.shot) {
    for (const position of ATTRIBUTE_VALUES.position) {
      for (const arm of ["down", "out", "up"] as const) {
        const r = f.profile({ ...seed, shot, position, rightArm: arm, leftArm: arm }, 3);
        const prev = bestPerShot.get(shot);
        if (!prev || r.sse < prev.sse) bestPerShot.set(shot, r);
      }
    }
  }
  let best: SearchResult | undefined;
  const floor = Math.min(...[...bestPerShot.values()].map((s) => s.sse));
  for (const s of bestPerShot.values()) {
    if (s.sse > RESTART_RATIO * floor) continue;
    // Body turn moves the shoulders, so it is tried jointly with the arms before the sweep.
    let start = s;
    for (const body of ATTRIBUTE_VALUES.body) {
      for (const arm of ATTRIBUTE_VALUES.rightArm) {
        const r = f.profile({ ...s.p, body, rightArm: arm, leftArm: arm }, 1);
        if (r.sse < start.sse) start = r;
      }
    }
    const r = search(f, start.p, 1, COARSE_ATTRS);
    if (!best || r.sse < best.sse) best = r;
  }
  if (!best) throw new Error("recognize: no start");
  return best;
}

/**
 * The blur σ (from BLURS) that lowers the LOW-px error of the unblurred template at `at` below
 * `gain` × that error, or 0; tried only when the sharp fit leaves a residual std above
 * BLUR_MIN_RESIDUAL. Leaves the fitter in the chosen mode.
 */
function chooseBlur(f: Fitter, at: SearchResult, gain: number): { sigma: number; start: PortraitAttributes } {
  let sigma = 0;
  let start = at.est;
  if (at.sse / (3 * P) > BLUR_MIN_RESIDUAL ** 2) {
    f.setBlur(0, true);
    let bestSse = f.profile(at.est, 2).sse * gain;
    for (const b of BLURS) {
      f.setBlur(b, true);
      const r = f.profile(at.est, 2);
      if (r.sse < bestSse) {
        sigma = b;
        bestSse = r.sse;
        start = r.p;
      }
    }
  }
  f.setBlur(sigma, sigma > 0);
  return { sigma, start };
}

export interface Recognition {
  distributions: AttributeDistributions;
  /** The most probable portrait. */
  argmax: PortraitAttributes;
  /** Blur σ (pixels at 32 px) the fit assumed; 0 for none. */
  blur: number;
  /** Residual noise std of the best fit, per channel, in [0, 1] pixel units. */
  noiseStd: number;
  /** Squared error of every value of every attribute, all else at the estimate (for refitting calibration). */
  sse: Record<AttributeName, number[]>;
}

/** Recognize every attribute of a [size, size, 3] image in [0, 1]. */
export function recognizeDetailed(pixels: Float32Array, size: number): Recognition {
  const x = toWorkSize(pixels, size);
  const f = new Fitter(x);
  const coarse = coarseFit(f);
  // Clearly blurred already at the coarse estimate: the fine search runs under the blur.
  let blur = chooseBlur(f, coarse, BLUR_GAIN_COARSE);
  let res = search(f, blur.start, MAX_SWEEPS);
  if (blur.sigma === 0) {
    // Otherwise decide again at the fine estimate, and search on under the blur if it is adopted.
    blur = chooseBlur(f, res, BLUR_GAIN);
    if (blur.sigma > 0) res = search(f, blur.start, 2);
  }
  const residualVar = res.sse / (3 * f.pixels());
  const sse = Object.fromEntries(ALL_ATTRIBUTES.map((a) => [a, res.scores.get(a) ?? []])) as Record<AttributeName, number[]>;
  return { distributions: posteriors(sse, residualVar), argmax: res.est, blur: blur.sigma, noiseStd: Math.sqrt(residualVar), sse };
}

/** Probabilities per attribute value, from pixels alone. */
export function recognize(pixels: Float32Array, size: number): AttributeDistributions {
  return recognizeDetailed(pixels, size).distributions;
}
