/**
 * A restricted unpickler for untrusted request bodies (Edit-R1's reward-server protocol): it runs only the
 * plain-data opcodes of pickle protocols 2–5 — dict, list, tuple, str, bytes, int, float, bool, None, the
 * memo and the framing — and refuses, with one line naming the opcode and its byte offset, every opcode that
 * looks up or calls a global (GLOBAL, STACK_GLOBAL, REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4,
 * PERSID, BINPERSID); out-of-band buffers are refused as well. Everything is an allow-list: an opcode not listed here is
 * refused too.
 *
 * Why our own: the npm unpicklers (pickleparser 0.2.1, jpickle 0.4.1, unpickle 0.2.0, node-pickle 0.0.2) are
 * general, single-maintainer parsers with one or two releases; they turn GLOBAL/REDUCE into placeholder
 * objects or user callbacks instead of refusing them at the opcode, which is the guarantee we need here.
 *
 * Protocol 2 pickles `bytes` through `_codecs.encode` (GLOBAL + REDUCE), so a protocol-2 body with bytes is
 * refused; Python 3.8+ defaults to protocol 4 or 5, where bytes are plain opcodes. Sets (EMPTY_SET, FROZENSET)
 * and protocol-0 text opcodes are refused as not needed. Tuples load as arrays, dicts as Maps.
 */

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | Map<PickleKey, PickleValue>;
export type PickleKey = null | boolean | number | bigint | string;

export class PickleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PickleError";
  }
}

/** Opcodes that reach for code: refused by name. */
const CALLING: Record<number, string> = {
  0x63: "GLOBAL",
  0x93: "STACK_GLOBAL",
  0x52: "REDUCE",
  0x62: "BUILD",
  0x69: "INST",
  0x6f: "OBJ",
  0x81: "NEWOBJ",
  0x92: "NEWOBJ_EX",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x50: "PERSID",
  0x51: "BINPERSID",
};

/** Integers wider than this (LONG1/LONG4 byte length) are refused: no request needs them. */
const MAX_LONG_BYTES = 64;

const MARK = Symbol("mark");
type Slot = PickleValue | typeof MARK;

class Reader {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  take(n: number): Uint8Array {
    if (!(n >= 0) || this.pos + n > this.bytes.length) throw new PickleError(`pickle: truncated at byte ${this.pos} (needs ${n} more bytes)`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8(): number {
    return this.take(1)[0] as number;
  }
  u16(): number {
    const p = this.pos;
    this.take(2);
    return this.view.getUint16(p, true);
  }
  u32(): number {
    const p = this.pos;
    this.take(4);
    return this.view.getUint32(p, true);
  }
  i32(): number {
    const p = this.pos;
    this.take(4);
    return this.view.getInt32(p, true);
  }
  u64(): number {
    const p = this.pos;
    this.take(8);
    const v = this.view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError(`pickle: length ${v} at byte ${p} is too large`);
    return Number(v);
  }
  f64be(): number {
    const p = this.pos;
    this.take(8);
    return this.view.getFloat64(p, false);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(bytes: Uint8Array, at: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PickleError(`pickle: invalid UTF-8 in the string at byte ${at}`);
  }
}

/** Little-endian two's complement (LONG1 / LONG4), as a number when safe, else a bigint. */
function longFrom(bytes: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  if (bytes.length > 0 && ((bytes[bytes.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function asKey(v: PickleValue, at: number): PickleKey {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "bigint" || typeof v === "string") return v;
  throw new PickleError(`pickle: unhashable or unsupported dict key at byte ${at}`);
}

/** Parses a pickle made of plain data only; throws a one-line PickleError on anything else. */
export function loadPickle(bytes: Uint8Array): PickleValue {
  const r = new Reader(bytes);
  let stack: Slot[] = [];
  const metastack: Slot[][] = [];
  const memo = new Map<number, PickleValue>();

  const pop = (at: number): PickleValue => {
    if (stack.length === 0) throw new PickleError(`pickle: stack underflow at byte ${at}`);
    const v = stack.pop() as Slot;
    if (v === MARK) throw new PickleError(`pickle: unexpected MARK at byte ${at}`);
    return v;
  };
  const top = (at: number): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError(`pickle: no value on the stack at byte ${at}`);
    return v;
  };
  const popMark = (at: number): PickleValue[] => {
    const items = stack as PickleValue[];
    const prev = metastack.pop();
    if (prev === undefined) throw new PickleError(`pickle: no MARK for the opcode at byte ${at}`);
    stack = prev;
    return items;
  };
  const list = (v: PickleValue, at: number): PickleValue[] => {
    if (!Array.isArray(v)) throw new PickleError(`pickle: APPEND to a non-list at byte ${at}`);
    return v;
  };
  const dict = (v: PickleValue, at: number): Map<PickleKey, PickleValue> => {
    if (!(v instanceof Map)) throw new PickleError(`pickle: SETITEM on a non-dict at byte ${at}`);
    return v;
  };
  const setItems = (d: Map<PickleKey, PickleValue>, items: PickleValue[], at: number): void => {
    if (items.length % 2 !== 0) throw new PickleError(`pickle: odd number of items for a dict at byte ${at}`);
    for (let i = 0; i < items.length; i += 2) d.set(asKey(items[i] as PickleValue, at), items[i + 1] as PickleValue);
  };
  const memoGet = (key: number, at: number): PickleValue => {
    const v = memo.get(key);
    if (v === undefined) throw new PickleError(`pickle: memo key ${key} not found at byte ${at}`);
    return v;
  };

  for (;;) {
    const at = r.pos;
    if (at >= bytes.length) throw new PickleError("pickle: ended without STOP");
    const op = r.u8();
    const calling = CALLING[op];
    if (calling) throw new PickleError(`pickle: opcode ${calling} at byte ${at} looks up or calls a global; only plain data (dict, list, tuple, str, bytes, numbers, bool, None) is accepted`);
    switch (op) {
      case 0x80: // PROTO
        if (r.u8() > 5) throw new PickleError(`pickle: protocol above 5 at byte ${at}`);
        break;
      case 0x95: // FRAME
        r.u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || metastack.length !== 0) throw new PickleError(`pickle: STOP at byte ${at} with ${stack.length} values and ${metastack.length} open MARKs`);
        return pop(at);
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length > 0) stack.pop();
        else popMark(at);
        break;
      case 0x31: // POP_MARK
        popMark(at);
        break;
      case 0x32: // DUP
        stack.push(top(at));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(r.i32());
        break;
      case 0x4b: // BININT1
        stack.push(r.u8());
        break;
      case 0x4d: // BININT2
        stack.push(r.u16());
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? r.u8() : r.u32();
        if (n > MAX_LONG_BYTES) throw new PickleError(`pickle: integer of ${n} bytes at byte ${at} is too large`);
        stack.push(longFrom(r.take(n)));
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(r.f64be());
        break;
      case 0x58: // BINUNICODE
        stack.push(text(r.take(r.u32()), at));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(r.take(r.u8()), at));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(r.take(r.u64()), at));
        break;
      case 0x42: // BINBYTES
        stack.push(r.take(r.u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(r.take(r.u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(r.take(r.u64()).slice());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x6c: // LIST
      case 0x74: {
        // TUPLE (popMark replaces `stack`, so pop first, then push on the restored stack)
        const items = popMark(at);
        stack.push(items);
        break;
      }
      case 0x85: // TUPLE1
        stack.push([pop(at)]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop(at);
        stack.push([pop(at), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop(at);
        const b = pop(at);
        stack.push([pop(at), b, c]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop(at);
        list(top(at), at).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark(at);
        const l = list(top(at), at);
        for (const v of items) l.push(v);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const d = new Map<PickleKey, PickleValue>();
        setItems(d, popMark(at), at);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop(at);
        const k = pop(at);
        dict(top(at), at).set(asKey(k, at), v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark(at);
        setItems(dict(top(at), at), items, at);
        break;
      }
      case 0x71: // BINPUT
        memo.set(r.u8(), top(at));
        break;
      case 0x72: // LONG_BINPUT
        memo.set(r.u32(), top(at));
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top(at));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(r.u8(), at));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(r.u32(), at));
        break;
      default:
        throw new PickleError(`pickle: opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at} is not a plain-data opcode of protocols 2–5`);
    }
  }
}
