/**
 * The parametric figure: attributes → an ordered list of painted shapes (painter's algorithm) and the
 * 17 COCO keypoints, in world units (y down; the standing figure spans y 0 (top of head) to 99 (soles),
 * x centred on 0). Angles are fixed direction vectors, not trigonometry, so every number is exact
 * double arithmetic and renders are bit-identical on every platform.
 */
import type { PortraitAttributes } from "./attributes.js";
import { SLOT } from "./palette.js";

export type Shape =
  | { kind: "rect"; x0: number; y0: number; x1: number; y1: number }
  | { kind: "circle"; cx: number; cy: number; r: number; yMax?: number }
  | { kind: "capsule"; ax: number; ay: number; bx: number; by: number; r: number };

export interface Paint {
  slot: number;
  shape: Shape;
}

type Vec = [number, number];
/** Upper-arm and forearm directions for the subject's LEFT arm (image right); the right arm mirrors x. */
const ARM_DIRS: Record<PortraitAttributes["leftArm"], [Vec, Vec]> = {
  down: [[0.28, 0.96], [0.28, 0.96]],
  out: [[1, 0], [1, 0]],
  up: [[0.6, -0.8], [0.28, -0.96]],
  wave: [[1, 0], [0, -1]],
};
const UPPER_ARM = 17;
const FOREARM = 15;
const ARM_R = 3.6;
const HAND_R = 3.8;
const LEG_R = 4.8;
const HEAD = { cx: 0, cy: 12, r: 9 };

const turnSign = (t: "front" | "left" | "right"): number => (t === "left" ? -1 : t === "right" ? 1 : 0);

/** Centre and half-width of the torso: a turned body is narrower and shifted a little toward the turn. */
const torso = (b: number): { cx: number; half: number } => ({ cx: 1.5 * b, half: b === 0 ? 13 : 10.5 });

export interface FigureJoints {
  nose: Vec; leftEye: Vec; rightEye: Vec; leftEar: Vec; rightEar: Vec;
  leftShoulder: Vec; rightShoulder: Vec; leftElbow: Vec; rightElbow: Vec; leftWrist: Vec; rightWrist: Vec;
  leftHip: Vec; rightHip: Vec; leftKnee: Vec; rightKnee: Vec; leftAnkle: Vec; rightAnkle: Vec;
}

/** Joint positions in world units. */
export function joints(p: PortraitAttributes): FigureJoints {
  const h = turnSign(p.head);
  const b = turnSign(p.body);
  const faceX = HEAD.cx + 2.5 * h;
  const { cx, half: torsoHalf } = torso(b);
  const shoulderY = 26.5;
  const arm = (side: 1 | -1, pose: PortraitAttributes["leftArm"]): [Vec, Vec, Vec] => {
    const s: Vec = [cx + side * (torsoHalf - 1.5), shoulderY];
    const [u, f] = ARM_DIRS[pose];
    const e: Vec = [s[0] + side * u[0] * UPPER_ARM, s[1] + u[1] * UPPER_ARM];
    const w: Vec = [e[0] + side * f[0] * FOREARM, e[1] + f[1] * FOREARM];
    return [s, e, w];
  };
  const [ls, le, lw] = arm(1, p.leftArm);
  const [rs, re, rw] = arm(-1, p.rightArm);
  const hipY = 62;
  const hip = (side: 1 | -1): Vec => [cx + side * 6, hipY];
  const footX = p.legs === "apart" ? 15 : 5;
  const leftFoot: Vec = [cx + footX, 94];
  const rightFoot: Vec = p.legs === "lifted" ? [cx - 7, 82] : [cx - footX, 94];
  const mid = (a: Vec, c: Vec): Vec => [(a[0] + c[0]) / 2, (a[1] + c[1]) / 2];
  const lh = hip(1);
  const rh = hip(-1);
  const rightKnee: Vec = p.legs === "lifted" ? [cx - 17, 72] : mid(rh, rightFoot);
  const eyeY = 12.5;
  const eyeDx = 3.5;
  return {
    nose: [faceX + 1.6 * h, 14.5],
    leftEye: [faceX + 1.6 * h + eyeDx, eyeY],
    rightEye: [faceX + 1.6 * h - eyeDx, eyeY],
    leftEar: [faceX + 8.5 - 2 * h, 13],
    rightEar: [faceX - 8.5 - 2 * h, 13],
    leftShoulder: ls, rightShoulder: rs, leftElbow: le, rightElbow: re, leftWrist: lw, rightWrist: rw,
    leftHip: lh, rightHip: rh, leftKnee: mid(lh, leftFoot), rightKnee, leftAnkle: leftFoot, rightAnkle: rightFoot,
  };
}

const rect = (slot: number, x0: number, y0: number, x1: number, y1: number): Paint => ({ slot, shape: { kind: "rect", x0, y0, x1, y1 } });
const circle = (slot: number, cx: number, cy: number, r: number, yMax?: number): Paint =>
  ({ slot, shape: yMax === undefined ? { kind: "circle", cx, cy, r } : { kind: "circle", cx, cy, r, yMax } });
const capsule = (slot: number, a: Vec, c: Vec, r: number): Paint => ({ slot, shape: { kind: "capsule", ax: a[0], ay: a[1], bx: c[0], by: c[1], r } });

/** The painted shapes of a portrait, back to front (the background fill is implicit). */
export function paints(p: PortraitAttributes): Paint[] {
  const j = joints(p);
  const h = turnSign(p.head);
  const b = turnSign(p.body);
  const faceX = HEAD.cx + 2.5 * h;
  const backX = faceX - 2 * h;
  const { cx, half: torsoHalf } = torso(b);
  const out: Paint[] = [];
  // Hair behind the head.
  if (p.hairStyle === "curly") out.push(circle(SLOT.hair, backX, 11, 12.5));
  if (p.hairStyle === "bun") out.push(circle(SLOT.hair, backX, -2, 4.8));
  // Legs, shoes.
  const legs: [Vec, Vec, Vec][] = [[j.leftHip, j.leftKnee, j.leftAnkle], [j.rightHip, j.rightKnee, j.rightAnkle]];
  for (const [hp, kn, an] of legs) {
    out.push(capsule(SLOT.trousers, hp, kn, LEG_R), capsule(SLOT.trousers, kn, an, LEG_R));
  }
  for (const [, , an] of legs) out.push(rect(SLOT.shoes, an[0] - 4.5 + Math.min(0, 4 * b), an[1] - 1, an[0] + 4.5 + Math.max(0, 4 * b), an[1] + 5));
  // The waist is wide enough to hide the tops of the legs, so a close-up (cut at y 63) shows no leg pose.
  out.push(rect(SLOT.trousers, cx - 14, 55, cx + 14, 64));
  // Torso, its shaded side when turned, and its pattern.
  out.push(rect(SLOT.top, cx - torsoHalf, 23, cx + torsoHalf, 57));
  if (b !== 0) {
    const x0 = b < 0 ? cx + torsoHalf - 5 : cx - torsoHalf;
    out.push(rect(SLOT.topShade, x0, 23, x0 + 5, 57));
  }
  if (p.topPattern === "stripes") for (const y of [30, 39, 48]) out.push(rect(SLOT.pattern, cx - torsoHalf, y, cx + torsoHalf, y + 4));
  if (p.topPattern === "dots") {
    for (const y of [30, 40, 50]) for (const dx of [-5, 5]) out.push(rect(SLOT.pattern, cx + dx - 2.2, y - 2.2, cx + dx + 2.2, y + 2.2));
  }
  // Long hair falls over the shoulders; otherwise the neck shows.
  if (p.hairStyle === "long") out.push(rect(SLOT.hair, backX - 11.5, 9, backX + 11.5, 30));
  else out.push(rect(SLOT.skin, faceX - 3, 18, faceX + 3, 24));
  if (p.accessory === "scarf") out.push(rect(SLOT.accessory, faceX - 8, 19, faceX + 8, 26), rect(SLOT.accessory, faceX + 2.5, 25, faceX + 7, 37));
  // Arms (sleeves in the top colour) and hands.
  const arms: [Vec, Vec, Vec][] = [[j.leftShoulder, j.leftElbow, j.leftWrist], [j.rightShoulder, j.rightElbow, j.rightWrist]];
  for (const [s, e, w] of arms) {
    out.push(capsule(SLOT.top, s, e, ARM_R), capsule(SLOT.top, e, w, ARM_R), circle(SLOT.skin, w[0], w[1], HAND_R));
  }
  // Head: face, eyes, hair cap, accessories on the head.
  out.push(circle(SLOT.skin, faceX, HEAD.cy, HEAD.r));
  for (const e of [j.leftEye, j.rightEye]) out.push(rect(SLOT.eyes, e[0] - 1.3, e[1] - 1.3, e[0] + 1.3, e[1] + 1.3));
  out.push(circle(SLOT.hair, backX, 11, 9.8, 8.5));
  if (h !== 0) out.push(rect(SLOT.hair, h > 0 ? backX - 9.8 : backX + 5.5, 8, h > 0 ? backX - 5.5 : backX + 9.8, 15));
  if (p.accessory === "glasses") out.push(rect(SLOT.accessory, j.rightEye[0] - 3, 10.3, j.leftEye[0] + 3, 14.7));
  if (p.accessory === "hat") out.push(rect(SLOT.accessory, backX - 12.5, 2.5, backX + 12.5, 5), rect(SLOT.accessory, backX - 8, -1.5, backX + 8, 3));
  return out;
}
