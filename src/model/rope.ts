/**
 * 3-axis rotary position embedding (FLUX `EmbedND`, diffusers `FluxPosEmbed`): per axis a with
 * d_a dims, ω_i = θ^(−2i/d_a); each angle pos·ω_i rotates one consecutive pair (x₂ᵢ, x₂ᵢ₊₁):
 *   x' = x·cos + rot(x)·sin,   rot(x)₂ᵢ = −x₂ᵢ₊₁, rot(x)₂ᵢ₊₁ = x₂ᵢ.
 * Position ids (anchors-evaluation.md §4.3): text (0,0,0); target (0,h,w); reference (1,h,w).
 */
import { np, type JaxArray } from "../runtime/jax.js";
import { gridSide, headDim, type ModelConfig } from "./config.js";

/** Position ids [T, 3] of the joint sequence [text | target | reference]. */
export function positionIds(c: ModelConfig): number[][] {
  const side = gridSide(c);
  const ids: number[][] = Array.from({ length: c.textSlots }, () => [0, 0, 0]);
  for (const index of [0, 1]) for (let h = 0; h < side; h++) for (let w = 0; w < side; w++) ids.push([index, h, w]);
  return ids;
}

export interface RopeTables {
  /** [T, hd] cos and sin of each pair's angle, repeated for both members of the pair. */
  cos: Float32Array;
  sin: Float32Array;
  /** [hd, hd] with x @ rot = rot(x). */
  rot: Float32Array;
  T: number;
  hd: number;
}

export function ropeTables(c: ModelConfig): RopeTables {
  const ids = positionIds(c);
  const hd = headDim(c);
  const T = ids.length;
  const cos = new Float32Array(T * hd);
  const sin = new Float32Array(T * hd);
  ids.forEach((pos, t) => {
    let col = 0;
    c.ropeAxes.forEach((d, axis) => {
      for (let i = 0; i < d / 2; i++) {
        const angle = pos[axis]! * c.ropeTheta ** ((-2 * i) / d);
        for (const k of [0, 1]) {
          cos[t * hd + col + 2 * i + k] = Math.cos(angle);
          sin[t * hd + col + 2 * i + k] = Math.sin(angle);
        }
      }
      col += d;
    });
  });
  const rot = new Float32Array(hd * hd);
  for (let i = 0; i < hd / 2; i++) {
    rot[(2 * i + 1) * hd + 2 * i] = -1;
    rot[2 * i * hd + 2 * i + 1] = 1;
  }
  return { cos, sin, rot, T, hd };
}

/** Apply RoPE to x [B, T, H, hd]. Consumes x. */
export function applyRope(x: JaxArray, r: RopeTables): JaxArray {
  const cos = np.array(r.cos, { shape: [r.T, 1, r.hd] });
  const sin = np.array(r.sin, { shape: [r.T, 1, r.hd] });
  const rot = np.array(r.rot, { shape: [r.hd, r.hd] });
  return x.ref.mul(cos).add(np.matmul(x, rot).mul(sin));
}
