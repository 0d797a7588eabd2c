/**
 * The PyTorch peer (bench/peer/model.py) as a child process speaking one JSON line per request, so
 * a bench can time it alternately with jax-js in the same run. `startPeer` resolves to null, with
 * the reason, where Python or PyTorch is missing; a bench then prints no ratio.
 * Python: $PORTRAITRL_PEER_PYTHON, else /usr/bin/python3 (Debian's, where `python3-torch` lives),
 * else `python3` on PATH. Threads: 2 (torch.set_num_threads and OMP_NUM_THREADS), as jax-js uses.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { EditModel } from "../src/model/index.js";
import { vocabSize } from "../src/model/index.js";

const SCRIPT = fileURLToPath(new URL("./peer/model.py", import.meta.url));
export const PEER_THREADS = 2;

export interface PeerInfo {
  torch: string;
  threads: number;
  python: string;
  blas: string;
}

export interface Peer {
  info: PeerInfo;
  /** Wall-clock ms of `reps` calls of one op. */
  time(op: "forward" | "train", reps: number): Promise<number[]>;
  /** The peer's velocity for the given inputs (same weights as jax-js). */
  velocity(inputs: { xt: Float32Array; t: Float32Array; ref: Float32Array; ids: Int32Array }, B: number): Promise<Float32Array>;
  close(): void;
}

export function pythonPath(): string {
  return process.env.PORTRAITRL_PEER_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
}

/** The BLAS that libblas.so.3 resolves to (Debian alternatives), for the record. */
function blasLibrary(): string {
  const r = spawnSync("update-alternatives", ["--query", "libblas.so.3-x86_64-linux-gnu"], { encoding: "utf8" });
  return /^Value: (.*)$/m.exec(r.stdout ?? "")?.[1] ?? "unknown";
}

/** Why `python` cannot run the peer (torch or numpy missing), with the Debian fix; null when it can. */
export function torchMissing(python: string): string | null {
  const probe = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8" });
  if (probe.status === 0) return null;
  const why = probe.error ? probe.error.message : (probe.stderr.trim().split("\n").pop() ?? "import failed");
  return `${python} cannot import torch and numpy (${why}). On Debian: apt-get install python3-torch python3-numpy libopenblas0-openmp`;
}

export async function startPeer(model: EditModel, batch: number, base: Float32Array): Promise<Peer | { reason: string }> {
  const python = pythonPath();
  const missing = torchMissing(python);
  if (missing) return { reason: `PyTorch peer unavailable: ${missing}; no ratio is printed` };
  const dir = mkdtempSync(join(tmpdir(), "portraitrl-peer-"));
  const child: ChildProcessWithoutNullStreams = spawn(python, [SCRIPT], {
    env: { ...process.env, PEER_THREADS: String(PEER_THREADS), OMP_NUM_THREADS: String(PEER_THREADS) },
  });
  child.stderr.on("data", (d: Buffer) => process.stderr.write(`peer: ${d.toString()}`));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const read = async (): Promise<Record<string, unknown>> => {
    const next = await lines.next();
    if (next.done) throw new Error("PyTorch peer exited");
    const msg = JSON.parse(next.value) as Record<string, unknown>;
    if (msg.error) throw new Error(`PyTorch peer: ${String(msg.error)}`);
    return msg;
  };
  const ask = (msg: unknown): Promise<Record<string, unknown>> => {
    child.stdin.write(JSON.stringify(msg) + "\n");
    return read();
  };
  const hello = await read();
  const weights = join(dir, "base.f32");
  writeFileSync(weights, base);
  await ask({ op: "init", config: model.config, vocabSize: vocabSize(model.config), spec: model.baseSpec.map((e) => [e.name, e.shape, e.offset]), weights, batch });
  return {
    info: { torch: String(hello.torch), threads: Number(hello.threads), python: `${python} ${String(hello.python)}`, blas: blasLibrary() },
    async time(op, reps) {
      return (await ask({ op, reps })).ms as number[];
    },
    async velocity(inputs, B) {
      const N = model.tokensPerImage;
      const P = model.tokenDim;
      const file = (name: string, data: Float32Array | Int32Array, shape: number[]): [string, number[], string] => {
        const path = join(dir, `${name}.bin`);
        writeFileSync(path, data);
        return [path, shape, data instanceof Int32Array ? "int32" : "float32"];
      };
      const out = join(dir, "velocity.f32");
      const W = model.config.textMaxWords;
      await ask({ op: "check", inputs: { xt: file("xt", inputs.xt, [B, N, P]), t: file("t", inputs.t, [B]), ref: file("ref", inputs.ref, [B, N, P]), ids: file("ids", inputs.ids, [B, W]) }, out });
      const bytes = readFileSync(out);
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    },
    close() {
      child.stdin.end();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
