import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from "../../src/runtime/safetensors.js";
import { UserError } from "../../src/runtime/errors.js";

/** Build a file by hand: 8-byte LE header length, JSON header, raw little-endian data. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors", () => {
  it("encodes the documented layout", () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: Float32Array.from([1, -2]) } }, { k: "v" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0); // header padded to 8 bytes
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()) as Record<string, unknown>;
    expect(header).toEqual({ __metadata__: { k: "v" }, a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, -2]);
  });

  it("round-trips through a file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prl-st-"));
    const t = new Map([
      ["w", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ["b", { shape: [3], data: Float32Array.from([0.5, -0.25, 1e-30]) }],
    ]);
    await writeSafetensors(join(dir, "x.safetensors"), t, { note: "n" });
    const back = await readSafetensors(join(dir, "x.safetensors"));
    expect(back.tensors).toEqual(t);
    expect(back.metadata).toEqual({ note: "n" });
  });

  it("reads BF16 and F16 tensors written by hand", () => {
    // bf16 0x3FC0 = 1.5, 0xC000 = -2; f16 0x3C00 = 1, 0xC000 = -2, 0x3555 ≈ 0.33325
    const bf = new Uint8Array([0xc0, 0x3f, 0x00, 0xc0]);
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35]);
    const file = handMade(
      { a: { dtype: "BF16", shape: [2], data_offsets: [0, 4] }, b: { dtype: "F16", shape: [3], data_offsets: [4, 10] } },
      new Uint8Array([...bf, ...f16]),
    );
    const { tensors } = decodeSafetensors(file, "mem");
    expect(Array.from(tensors.get("a")!.data)).toEqual([1.5, -2]);
    const b = Array.from(tensors.get("b")!.data);
    expect(b.slice(0, 2)).toEqual([1, -2]);
    expect(b[2]).toBeCloseTo(0.33325, 5);
  });

  it("refuses truncated and malformed files with a UserError naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "prl-st-"));
    const path = join(dir, "t.safetensors");
    const bytes = encodeSafetensors({ a: { shape: [4], data: new Float32Array(4) } });
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    await expect(readSafetensors(path)).rejects.toThrow(/t\.safetensors: not a valid safetensors file: tensor a: data ends at 16/);
    writeFileSync(path, bytes.subarray(0, 20));
    await expect(readSafetensors(path)).rejects.toBeInstanceOf(UserError);
    expect(() => decodeSafetensors(handMade({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), "m")).toThrow(/dtype I64 not supported/);
    expect(() => decodeSafetensors(handMade({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), "m")).toThrow(/8 bytes for shape \[3\]/);
    expect(readFileSync(path).length).toBe(20); // reading never writes
  });
});
