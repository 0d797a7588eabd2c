/**
 * The service under test, run through its CLI in this process, in front of the fake OpenAI-compatible judge
 * of test/reward: the judge's answer depends on the prompt kind (DP or PF), on which instruction the prompt
 * carries and on the generated image's width, so every expected reward can be computed by hand here.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import sharp from "sharp";
import { vi } from "vitest";
import { registerServeReward } from "../../src/cli/commands/serve-reward.js";
import { vllmBody, type FakeReply } from "../reward/fake-server.js";

export const INSTRUCTIONS = ["Raise her left arm.", "Turn her head to the right.", "Step to the left of the frame.", "Lower both arms.", "Face the camera."];
export const LEVELS = [0, 1, 2, 3, 4];
/** Generated image i is (BASE_WIDTH + i) × 8 pixels; the reference is 6 × 8. */
const BASE_WIDTH = 8;

/**
 * Score-token log-probabilities the fake judge returns for sample i, prompt kind and instruction j
 * (DP's depend on i only: the DP judge is not shown the instruction); each at most −0.01, as a
 * log-probability must be (the start-up probe's wide image gives a large i).
 */
export function judgeTokens(kind: "dp" | "pf", i: number, j: number): [string, number][] {
  const top: [string, number][] = kind === "dp"
    ? [["4", -0.2 - 0.3 * i], [" 3", -1.1 + 0.05 * i], ["2", -2.5 + 0.2 * i], ["The", -4]]
    : [["3", -0.4 - 0.1 * j], ["4", -1.7 + 0.25 * i], ["1", -2.2 - 0.1 * i], ["0", -5]];
  return top.map(([t, lp]) => [t, Math.min(lp, -0.01)]);
}

/** Eq. 9–11 by hand for the tokens above: p over the level tokens only, S = Σ m·p, s = S / 4. */
export function expectedScore(kind: "dp" | "pf", i: number, j: number): number {
  const onLevels = judgeTokens(kind, i, j).filter(([t]) => /^\s?\d$/.test(t));
  const z = onLevels.reduce((a, [, lp]) => a + Math.exp(lp), 0);
  return onLevels.reduce((a, [t, lp]) => a + Number(t.trim()) * (Math.exp(lp) / z), 0) / 4;
}

function pngWidth(dataUrl: string): number {
  return Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ""), "base64").readUInt32BE(16);
}

/** The fake judge's handler; `fail(n)` says whether request n (1-based) gets an HTTP 500. */
export function judgeHandler(fail: (n: number) => boolean = () => false, delayMs = 0) {
  return (body: Record<string, unknown>, n: number): FakeReply => {
    if (fail(n)) return { status: 500, body: { error: "overloaded" }, delayMs };
    const content = (body.messages as { content: { type: string; text?: string; image_url?: { url: string } }[] }[])[0]!.content;
    const text = content[2]!.text!;
    const kind = text.includes("DETAIL PRESERVATION") ? "dp" : "pf";
    const j = INSTRUCTIONS.findIndex((ins) => text.includes(ins));
    const i = pngWidth(content[1]!.image_url!.url) - BASE_WIDTH;
    return { body: vllmBody(judgeTokens(kind, i, j)), delayMs };
  };
}

/** Writes the reference and generated images 0..n-1 as PNG and JPEG; returns their paths. */
export async function writeImages(dir: string, n: number): Promise<{ refPng: string; refJpg: string; png: string[]; jpg: string[] }> {
  mkdirSync(dir, { recursive: true });
  const make = (w: number, v: number) => sharp({ create: { width: w, height: 8, channels: 3, background: { r: v, g: 255 - v, b: 128 } } });
  const refPng = join(dir, "ref.png");
  const refJpg = join(dir, "ref.jpg");
  await make(6, 30).png().toFile(refPng);
  await make(6, 30).jpeg().toFile(refJpg);
  const png: string[] = [];
  const jpg: string[] = [];
  for (let i = 0; i < n; i++) {
    png.push(join(dir, `gen-${i}.png`));
    jpg.push(join(dir, `gen-${i}.jpg`));
    await make(BASE_WIDTH + i, 20 * i).png().toFile(png[i]!);
    await make(BASE_WIDTH + i, 20 * i).jpeg().toFile(jpg[i]!);
  }
  return { refPng, refJpg, png, jpg };
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value));
  return path;
}

export interface Running {
  url: string;
  stderr(): string;
  /** Sends SIGTERM (graceful stop) and waits for the command to return. */
  stop(): Promise<void>;
}

/** Runs `portraitrl serve-reward ARGS --port 0` in this process until stop(); rejects with the command's error. */
export async function startService(args: string[]): Promise<Running> {
  const program = new Command().exitOverride();
  registerServeReward(program);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  const restore = (): void => {
    out.mockRestore();
    err.mockRestore();
  };
  const done = program.parseAsync(["node", "portraitrl", "serve-reward", "--port", "0", ...args]);
  let poll: NodeJS.Timeout | undefined;
  const url = await Promise.race([
    done.then(() => {
      throw new Error("serve-reward returned before listening");
    }),
    new Promise<string>((resolve) => {
      poll = setInterval(() => {
        const m = /^serve-reward: (http:\/\/\S+) /m.exec(stdout);
        if (m) resolve(m[1]!);
      }, 5);
    }),
  ])
    .catch((e: unknown) => {
      restore();
      throw e;
    })
    .finally(() => clearInterval(poll));
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      process.emit("SIGTERM", "SIGTERM");
      try {
        await done;
      } finally {
        restore();
      }
    },
  };
}

/** Runs `portraitrl serve-reward ARGS` expecting a user error before it listens; returns its message. */
export async function serviceError(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerServeReward(program);
  try {
    await program.parseAsync(["node", "portraitrl", "serve-reward", "--port", "0", ...args]);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected serve-reward to fail");
}
