/**
 * Writes a pickle (protocol 2, readable by every Python 3) of plain data: dicts with string keys, lists,
 * strings, floats, booleans and None. Numbers are written as floats (BINFLOAT), as a reward server's
 * `{"scores": [float]}` answer needs.
 */

export type DumpValue = null | boolean | number | string | DumpValue[] | { [key: string]: DumpValue };

const utf8 = new TextEncoder();

class Writer {
  private chunks: Uint8Array[] = [];
  op(...bytes: number[]): void {
    this.chunks.push(Uint8Array.from(bytes));
  }
  u32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.chunks.push(b);
  }
  f64be(x: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    this.chunks.push(b);
  }
  raw(b: Uint8Array): void {
    this.chunks.push(b);
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

function write(w: Writer, v: DumpValue): void {
  if (v === null) return w.op(0x4e); // NONE
  if (v === true) return w.op(0x88); // NEWTRUE
  if (v === false) return w.op(0x89); // NEWFALSE
  if (typeof v === "number") {
    w.op(0x47); // BINFLOAT
    return w.f64be(v);
  }
  if (typeof v === "string") {
    const b = utf8.encode(v);
    w.op(0x58); // BINUNICODE
    w.u32(b.length);
    return w.raw(b);
  }
  if (Array.isArray(v)) {
    w.op(0x5d, 0x28); // EMPTY_LIST, MARK
    for (const item of v) write(w, item);
    return w.op(0x65); // APPENDS
  }
  w.op(0x7d, 0x28); // EMPTY_DICT, MARK
  for (const [k, item] of Object.entries(v)) {
    write(w, k);
    write(w, item);
  }
  w.op(0x75); // SETITEMS
}

export function dumpPickle(value: DumpValue): Uint8Array {
  const w = new Writer();
  w.op(0x80, 2); // PROTO 2
  write(w, value);
  w.op(0x2e); // STOP
  return w.bytes();
}
