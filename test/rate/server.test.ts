import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { connect } from "node:net";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";
import { startRateServer, type RateServer } from "../../src/report/rate/server.js";
import { prepareRateSet, type RateSet } from "../../src/report/rate/set.js";
import { loadSampleSources } from "../../src/report/rate/sources.js";
import { samplesFor, tempDir, writeEvalFolder } from "./fixtures.js";

const METHODS = ["sft-hidden", "naspo-secret"];

interface Reply {
  status: number;
  type: string;
  body: Buffer;
}

/** A raw HTTP request: the path goes out exactly as written (no URL normalisation). */
function raw(port: number, method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { Host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

const post = (port: number, path: string, body: unknown, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
  raw(port, "POST", path, { body: typeof body === "string" ? body : JSON.stringify(body), headers });

const json = (r: Reply): Record<string, unknown> => JSON.parse(r.body.toString("utf8")) as Record<string, unknown>;

interface Fixture {
  root: string;
  out: string;
  set: RateSet;
  dirs: string[];
}

async function fixture(): Promise<Fixture> {
  const root = await tempDir();
  const dirs = [
    await writeEvalFolder(join(root, METHODS[0]!), METHODS[0]!, samplesFor(0, 3)),
    await writeEvalFolder(join(root, METHODS[1]!), METHODS[1]!, samplesFor(1, 3)),
  ];
  const out = join(root, "ratings");
  writeFileSync(join(root, "secret.txt"), "TOP-SECRET-CONTENT");
  const { set } = await prepareRateSet(out, await loadSampleSources(dirs), { seed: 0, limit: null });
  return { root, out, set, dirs };
}

const open: RateServer[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function start(f: Fixture, rater = "alice"): Promise<RateServer> {
  const s = await startRateServer({ set: f.set, outDir: f.out, rater, port: 0 });
  open.push(s);
  return s;
}

function noSecrets(text: string, f: Fixture): void {
  for (const m of METHODS) expect(text).not.toContain(m);
  expect(text).not.toContain(f.root);
  expect(text).not.toContain("samples.jsonl");
}

describe("rate server", () => {
  it("binds 127.0.0.1 only", async () => {
    const f = await fixture();
    const s = await start(f);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
    if (external !== undefined) {
      const err = await new Promise<string>((done) => {
        const sock = connect(s.port, external.address);
        sock.on("connect", () => {
          sock.destroy();
          done("connected");
        });
        sock.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? "error"));
      });
      expect(err).toBe("ECONNREFUSED");
    }
    const v6 = await new Promise<string>((done) => {
      const sock = connect(s.port, "::1");
      sock.on("connect", () => {
        sock.destroy();
        done("connected");
      });
      sock.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? "error"));
    });
    expect(v6).not.toBe("connected");
  });

  it("serves the page, state and images with opaque ids only", async () => {
    const f = await fixture();
    const s = await start(f);
    for (const p of ["/", "/app.js", "/app.css", "/api/state"]) {
      const r = await raw(s.port, "GET", p);
      expect(r.status).toBe(200);
      noSecrets(r.body.toString("utf8"), f);
    }
    const state = json(await raw(s.port, "GET", "/api/state"));
    expect(state).toMatchObject({ rater: "alice", total: 6, done: 0 });
    const item = state.item as { id: string; reference: string; generated: string; instruction: string };
    expect(item.reference).toBe(`/img/${item.id}/reference`);
    const setItem = f.set.items.find((i) => i.id === item.id)!;
    expect(item.instruction).toBe(setItem.instruction);
    const img = await raw(s.port, "GET", item.generated);
    expect(img.type).toBe("image/png");
    const served = await sharp(img.body).raw().toBuffer();
    const original = await sharp(readFileSync(setItem.generated_image)).raw().toBuffer();
    expect(served.equals(original)).toBe(true);
    noSecrets(img.body.toString("latin1"), f);
  });

  it("refuses every path outside the sample set", async () => {
    const f = await fixture();
    const s = await start(f);
    const id = f.set.items[0]!.id;
    const attempts = [
      "/../secret.txt",
      "/img/../../secret.txt",
      `/img/${id}/../../../secret.txt`,
      `/img/${id}/..%2f..%2f..%2fsecret.txt`,
      "/img/%2e%2e/%2e%2e/secret.txt",
      `/img/${id}/reference/../../set.json`,
      "/set.json",
      "/ratings/set.json",
      "/alice.jsonl",
      "//etc/passwd",
      "/etc/passwd",
      `/img/${"0".repeat(16)}/reference`,
      `/img/${id}/target`,
      `/img/${id.toUpperCase()}/reference`,
      "/app.js/..",
      "/%2e%2e/secret.txt",
    ];
    for (const p of attempts) {
      const r = await raw(s.port, "GET", p);
      expect([403, 404], p).toContain(r.status);
      expect(r.body.toString("utf8")).not.toContain("TOP-SECRET");
      expect(r.body.toString("utf8")).not.toContain("portraitrl-rate-set");
    }
    expect((await raw(s.port, "GET", "http://127.0.0.1/secret.txt")).status).toBe(400);
    // a sample image swapped for a symlink that leaves its folder after the set was prepared: 403
    const victim = f.set.items.find((i) => i.id === id)!;
    rmSync(victim.generated_image);
    symlinkSync(join(f.root, "secret.txt"), victim.generated_image);
    const r = await raw(s.port, "GET", `/img/${id}/generated`);
    expect(r.status).toBe(403);
    expect(r.body.toString("utf8")).not.toContain("TOP-SECRET");
  });

  it("checks Host and Origin (DNS rebinding, cross-site posts)", async () => {
    const f = await fixture();
    const s = await start(f);
    expect((await raw(s.port, "GET", "/api/state", { headers: { Host: "evil.example:80" } })).status).toBe(403);
    expect((await raw(s.port, "GET", "/", { headers: { Host: `localhost:${s.port}` } })).status).toBe(200);
    const item = (json(await raw(s.port, "GET", "/api/state")).item as { id: string }).id;
    const cross = await post(s.port, "/api/rate", { item, dp: 1, pf: 1 }, { "Content-Type": "application/json", Origin: "http://evil.example" });
    expect(cross.status).toBe(403);
    expect(s.state().done).toBe(0);
  });

  it("malformed requests get 400 (413 when huge) and change nothing", async () => {
    const f = await fixture();
    const s = await start(f);
    const file = join(f.out, "alice.jsonl");
    const item = (json(await raw(s.port, "GET", "/api/state")).item as { id: string }).id;
    expect((await post(s.port, "/api/rate", { item, dp: 3, pf: 2 })).status).toBe(200);
    const before = readFileSync(file);
    const stateBefore = JSON.stringify(s.state());
    const next = s.state().item!.id;
    const bad: [unknown, Record<string, string>?][] = [
      ["{not json"],
      [""],
      ["null"],
      [[1, 2]],
      [{ item: next, dp: 5, pf: 1 }],
      [{ item: next, dp: -1, pf: 1 }],
      [{ item: next, dp: 2.5, pf: 1 }],
      [{ item: next, dp: "3", pf: 1 }],
      [{ item: next, dp: 3 }],
      [{ item: next, dp: 3, pf: 1, method: "x" }],
      [{ item: "0000000000000000", dp: 3, pf: 1 }],
      [{ item: 12, dp: 3, pf: 1 }],
      [{ item: next, dp: 3, pf: 1 }, { "Content-Type": "text/plain" }],
      [{ item: next, dp: 3, pf: 1 }, {}],
    ];
    for (const [body, headers] of bad) {
      const r = await post(s.port, "/api/rate", body, headers);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(typeof json(r).error).toBe("string");
    }
    for (const body of ["{}", JSON.stringify({ item: 1 }), JSON.stringify({ item: "0000000000000000" })]) {
      expect((await post(s.port, "/api/undo", body)).status).toBe(400);
    }
    expect((await post(s.port, "/api/rate", JSON.stringify({ item: next, dp: 1, pf: 1, pad: "x".repeat(10000) }))).status).toBe(413);
    expect((await raw(s.port, "GET", "/api/rate")).status).toBe(405);
    expect((await raw(s.port, "DELETE", "/api/state")).status).toBe(405);
    expect((await raw(s.port, "PUT", "/")).status).toBe(405);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(JSON.stringify(s.state())).toBe(stateBefore);
  });

  it("rates in order, refuses stale items (409), undoes the last rating, and continues after a restart", async () => {
    const f = await fixture();
    let s = await start(f);
    const first = s.state().item!.id;
    let r = json(await post(s.port, "/api/rate", { item: first, dp: 4, pf: 1 }));
    expect(r.done).toBe(1);
    expect(r.undo).toBe(first);
    const second = (r.item as { id: string }).id;
    expect(second).not.toBe(first);
    expect((await post(s.port, "/api/rate", { item: first, dp: 0, pf: 0 })).status).toBe(409);
    expect((await post(s.port, "/api/undo", { item: second })).status).toBe(409);
    expect(json(await post(s.port, "/api/rate", { item: second, dp: 2, pf: 3 })).done).toBe(2);
    r = json(await post(s.port, "/api/undo", { item: second }));
    expect(r).toMatchObject({ done: 1, undo: first });
    expect((r.item as { id: string }).id).toBe(second);
    r = json(await post(s.port, "/api/rate", { item: second, dp: 3, pf: 3 }));
    expect(r.done).toBe(2);

    await expect(startRateServer({ set: f.set, outDir: f.out, rater: "alice", port: 0 })).rejects.toThrow(/rater "alice" already has a live session/);
    const bob = await start(f, "bob");
    expect(bob.state().done).toBe(0);

    await s.close();
    open.splice(open.indexOf(s), 1);
    s = await start(f);
    expect(s.state()).toMatchObject({ done: 2, undo: second });
    const lines = readFileSync(join(f.out, "alice.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string; item?: string; dp?: number });
    expect(lines.map((l) => l.type)).toEqual(["session", "rating", "rating", "undo", "rating", "session"]);
    expect(lines[4]).toMatchObject({ item: second, dp: 3 });
  });
});
