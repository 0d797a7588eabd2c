import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { dumpPickle } from "../../src/serve/pickle-dump.js";
import { PickleError, loadPickle, type PickleValue } from "../../src/serve/pickle-load.js";
import { PYTHON } from "./python.js";

/** A loaded value as JSON-able data: Maps → objects, bytes → {"bytes": base64}, bigints → strings. */
function plain(v: PickleValue): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("base64") };
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "bigint") return v.toString();
  return v;
}

const errorOf = (bytes: Uint8Array): PickleError => {
  try {
    loadPickle(bytes);
  } catch (e) {
    if (e instanceof PickleError) return e;
    throw e;
  }
  throw new Error("expected a PickleError");
};

describe("restricted unpickler: hand-made byte goldens", () => {
  it("reads a protocol-2 dict of a list of floats, a str, an int, True and None", () => {
    // \x80\x02 } q\x00 ( X\x01\x00\x00\x00a ] ( G.. G.. e X\x01\x00\x00\x00b K\x07 X\x01\x00\x00\x00c \x88 X\x01\x00\x00\x00d N u .
    const f = (x: number): number[] => [...new Uint8Array(new Float64Array([x]).buffer)].reverse();
    const s = (t: string): number[] => [0x58, t.length, 0, 0, 0, ...Buffer.from(t)];
    const bytes = Uint8Array.from([0x80, 2, 0x7d, 0x71, 0, 0x28, ...s("a"), 0x5d, 0x28, 0x47, ...f(0.25), 0x47, ...f(-1.5), 0x65, ...s("b"), 0x4b, 7, ...s("c"), 0x88, ...s("d"), 0x4e, 0x75, 0x2e]);
    expect(plain(loadPickle(bytes))).toEqual({ a: [0.25, -1.5], b: 7, c: true, d: null });
  });

  it("refuses GLOBAL, STACK_GLOBAL and REDUCE at the opcode, naming it and its byte", () => {
    expect(errorOf(Buffer.from("cos\nsystem\n(S'ls'\ntR.", "latin1")).message).toBe(
      "pickle: opcode GLOBAL at byte 0 looks up or calls a global; only plain data (dict, list, tuple, str, bytes, numbers, bool, None) is accepted",
    );
    // \x80\x04 \x8c\x02os \x8c\x06system \x93 ...
    expect(errorOf(Uint8Array.from([0x80, 4, 0x8c, 2, ...Buffer.from("os"), 0x8c, 6, ...Buffer.from("system"), 0x93, 0x2e])).message).toMatch(/^pickle: opcode STACK_GLOBAL at byte 14 /);
    // REDUCE with no global before it is still refused: \x80\x02 N ) R .
    expect(errorOf(Uint8Array.from([0x80, 2, 0x4e, 0x29, 0x52, 0x2e])).message).toMatch(/^pickle: opcode REDUCE at byte 4 /);
    for (const [op, name] of [[0x62, "BUILD"], [0x69, "INST"], [0x6f, "OBJ"], [0x81, "NEWOBJ"], [0x92, "NEWOBJ_EX"], [0x82, "EXT1"], [0x51, "BINPERSID"]] as const) {
      expect(errorOf(Uint8Array.from([0x80, 2, op, 0x2e])).message).toContain(`opcode ${name} at byte 2`);
    }
  });

  it("refuses sets and out-of-band buffers, and reports truncation, a missing STOP and a bad memo key", () => {
    expect(errorOf(Uint8Array.from([0x80, 4, 0x8f, 0x2e])).message).toBe("pickle: opcode 0x8f at byte 2 is not a plain-data opcode of protocols 2–5");
    expect(errorOf(Uint8Array.from([0x80, 5, 0x97, 0x2e])).message).toContain("opcode 0x97 at byte 2");
    expect(errorOf(Uint8Array.from([0x80, 2, 0x58, 9, 0, 0, 0, 0x61])).message).toBe("pickle: truncated at byte 7 (needs 9 more bytes)");
    expect(errorOf(Uint8Array.from([0x80, 2, 0x4e])).message).toBe("pickle: ended without STOP");
    expect(errorOf(Uint8Array.from([0x80, 2, 0x68, 3, 0x2e])).message).toBe("pickle: memo key 3 not found at byte 2");
  });

  it("every prefix and every one-byte change of a valid pickle either loads or throws a PickleError", () => {
    const good = dumpPickle({ scores: [0.5, 1, -2], name: "x", ok: true, none: null, nested: [["a"], { k: 1 }] });
    for (let n = 0; n < good.length; n++) expect(() => loadPickle(good.subarray(0, n))).toThrow(PickleError);
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let k = 0; k < 2000; k++) {
      const bad = good.slice();
      bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
      try {
        loadPickle(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(PickleError);
      }
    }
  });

  it("round-trips its own dumps", () => {
    const v = { scores: [0.1, 0.2, Number.MAX_VALUE, -0], text: "héllo ✓", flags: [true, false, null] };
    expect(plain(loadPickle(dumpPickle(v)))).toEqual(v);
  });
});

const PY_FUZZ = String.raw`
import base64, json, pickle, random, sys
rng = random.Random(int(sys.argv[1]))
def value(depth):
    kinds = ["int", "big", "float", "str", "bool", "none"] + (["bytes"] if proto >= 3 else []) + (["list", "tuple", "dict"] if depth < 4 else [])
    k = rng.choice(kinds)
    if k == "int": return rng.randint(-2**31, 2**31)
    if k == "big": return rng.choice([2**63 + rng.randint(0, 99), -(2**70) - 1])
    if k == "float": return rng.uniform(-1e6, 1e6)
    if k == "str": return "".join(rng.choice("ab✓é \n\"") for _ in range(rng.randint(0, 300)))
    if k == "bool": return rng.random() < 0.5
    if k == "none": return None
    if k == "bytes": return bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    if k == "list": return [value(depth + 1) for _ in range(rng.randint(0, 5))]
    if k == "tuple": return tuple(value(depth + 1) for _ in range(rng.randint(0, 4)))
    return {("k%d" % i): value(depth + 1) for i in range(rng.randint(0, 5))}
def plain(v):
    if isinstance(v, bool) or v is None or isinstance(v, float) or isinstance(v, str): return v
    if isinstance(v, int): return v if abs(v) <= 2**53 - 1 else str(v)
    if isinstance(v, bytes): return {"bytes": base64.b64encode(v).decode()}
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    return {k: plain(x) for k, x in v.items()}
out = []
for proto in (2, 3, 4, 5):
    for _ in range(25):
        v = {"images": [value(0) for _ in range(3)], "shared": None}
        s = "same string"
        v["shared"] = [s, s, v["images"]]
        out.append({"protocol": proto, "pickle": base64.b64encode(pickle.dumps(v, protocol=proto)).decode(), "expect": plain(v)})
print(json.dumps(out))
`;

describe.skipIf(PYTHON === null)("restricted unpickler against Python's pickle", () => {
  it("loads 100 random plain-data pickles of protocols 2–5 exactly as Python built them", () => {
    const r = spawnSync(PYTHON!, ["-c", PY_FUZZ, "7"], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    const cases = JSON.parse(r.stdout) as { protocol: number; pickle: string; expect: unknown }[];
    expect(cases.map((c) => c.protocol).sort()).toEqual([...Array(25).fill(2), ...Array(25).fill(3), ...Array(25).fill(4), ...Array(25).fill(5)]);
    for (const c of cases) expect(plain(loadPickle(Buffer.from(c.pickle, "base64")))).toEqual(c.expect);
  });

  it("writes a pickle that Python loads to the same values", () => {
    const v = { scores: [0.123456789, -3.5, 1e-300], note: "ok ✓", nested: { a: [true, false, null] } };
    const r = spawnSync(PYTHON!, ["-c", "import json, pickle, sys; print(json.dumps(pickle.loads(sys.stdin.buffer.read())))"], { input: Buffer.from(dumpPickle(v)), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(v);
  });

  it("refuses Python's own malicious pickle (a __reduce__ that calls os.system) at protocols 2–5", () => {
    const script = "import base64, os, pickle\nclass A:\n    def __reduce__(self): return (os.system, ('true',))\nprint(' '.join(base64.b64encode(pickle.dumps({'metadatas': [A()]}, protocol=p)).decode() for p in (2, 3, 4, 5)))";
    const r = spawnSync(PYTHON!, ["-c", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const msgs = r.stdout.trim().split(" ").map((b) => errorOf(Buffer.from(b, "base64")).message);
    expect(msgs.slice(0, 2).every((m) => m.includes("opcode GLOBAL"))).toBe(true);
    expect(msgs.slice(2).every((m) => m.includes("opcode STACK_GLOBAL"))).toBe(true);
  });
});
