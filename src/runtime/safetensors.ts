/**
 * safetensors read/write (https://github.com/huggingface/safetensors, format: 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
 * {str: str}}` padded with spaces to 8 bytes, then the raw little-endian tensor bytes).
 * Own implementation because npm has no maintained one: `npm view safetensors` is a single 0.0.1
 * release and there is no official `@huggingface` package; the format is small and fully specified.
 * Writes float32; reads F32, F16 and BF16 (real FLUX checkpoints are bf16) into float32.
 */
import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { UserError } from "./errors.js";
import { writeFileAtomic } from "./atomic.js";

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

if (endianness() !== "LE") throw new Error("safetensors I/O assumes a little-endian host");

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Serialise float32 tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new RangeError("a tensor cannot be named __metadata__");
    if (numel(t.shape) !== t.data.length) throw new RangeError(`tensor ${name}: shape [${t.shape.join(",")}] does not hold ${t.data.length} values`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decodeTensor(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === "F32") {
    out.set(new Float32Array(bytes.slice().buffer));
  } else if (dtype === "BF16") {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

/** Parse safetensors bytes; `source` names the file in errors (UserError, exit 1). */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const bad = (what: string): UserError => new UserError(`${source}: not a valid safetensors file: ${what}`, 1);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > bytes.length - 8) throw bad(`header length ${n} exceeds the file (${bytes.length} bytes; truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    throw bad(`header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = String(e.dtype);
    const width = BYTES[dtype];
    if (width === undefined) throw bad(`tensor ${name}: dtype ${dtype} not supported (F32, F16, BF16)`);
    const shape = e.shape;
    const offs = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor ${name}: bad shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`tensor ${name}: bad data_offsets`);
    const [begin, end] = offs as [number, number];
    const count = numel(shape as number[]);
    if (end - begin !== count * width) throw bad(`tensor ${name}: ${end - begin} bytes for shape [${shape.join(",")}] of ${dtype}`);
    if (end > data.length) throw bad(`tensor ${name}: data ends at ${end} but the file has ${data.length} data bytes (truncated?)`);
    tensors.set(name, { shape: shape as number[], data: decodeTensor(data.subarray(begin, end), dtype, count) });
  }
  return { tensors, metadata };
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 1);
  }
  return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** Write a safetensors file atomically (temp + rename). */
export async function writeSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
