import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireRaterLock, checkRaterName, RatingsLog, readRatings, replayRatings } from "../../src/report/rate/store.js";
import { tempDir } from "./fixtures.js";

const known = new Set(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb", "cccccccccccccccc"]);
const base = { v: 1 as const, rater: "alice", at: "2026-11-26T00:00:00Z", session: "s1" };
const rating = (item: string, dp: number, pf: number) => ({ ...base, type: "rating" as const, item, dp, pf });
const undo = (item: string) => ({ ...base, type: "undo" as const, item });

describe("ratings log", () => {
  it("appends events and replays them (rate, undo, re-rate)", async () => {
    const dir = await tempDir();
    const file = join(dir, "alice.jsonl");
    const log = RatingsLog.open(file);
    log.append({ ...base, type: "session", pid: 1, set_seed: 0 });
    log.append(rating("aaaaaaaaaaaaaaaa", 4, 3));
    log.append(rating("bbbbbbbbbbbbbbbb", 1, 0));
    log.append(undo("bbbbbbbbbbbbbbbb"));
    log.append(rating("bbbbbbbbbbbbbbbb", 2, 2));
    log.close();
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")).toHaveLength(6);
    const r = readRatings(dir, "alice", known);
    expect(r.problems).toEqual([]);
    expect([...r.ratings]).toEqual([
      ["aaaaaaaaaaaaaaaa", { dp: 4, pf: 3 }],
      ["bbbbbbbbbbbbbbbb", { dp: 2, pf: 2 }],
    ]);
    expect(r.stack).toEqual(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
    expect(() => RatingsLog.open(file).append({ ...rating("cccccccccccccccc", 5, 0) })).toThrow();
    expect(readFileSync(file, "utf8")).toBe(text);
  });

  it("a corrupt line is reported with its line number and skipped; the file is not rewritten", async () => {
    const dir = await tempDir();
    const file = join(dir, "alice.jsonl");
    const lines = [
      JSON.stringify(rating("aaaaaaaaaaaaaaaa", 4, 3)),
      "{not json",
      JSON.stringify(rating("bbbbbbbbbbbbbbbb", 7, 0)),
      JSON.stringify({ ...rating("cccccccccccccccc", 1, 1), rater: "bob" }),
      JSON.stringify(rating("dddddddddddddddd", 1, 1)),
      JSON.stringify(undo("cccccccccccccccc")),
      JSON.stringify(rating("cccccccccccccccc", 0, 1)),
    ];
    writeFileSync(file, `${lines.join("\n")}\n`);
    const before = readFileSync(file);
    const r = readRatings(dir, "alice", known);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6]);
    expect(r.problems[0]!.reason).toMatch(/not JSON/);
    expect(r.problems[1]!.reason).toMatch(/^dp: /);
    expect(r.problems[2]!.reason).toMatch(/rater "bob" in the file of "alice"/);
    expect(r.problems[3]!.reason).toMatch(/not in set\.json/);
    expect(r.problems[4]!.reason).toMatch(/undo of item "cccccccccccccccc", which is not rated/);
    expect([...r.ratings.keys()]).toEqual(["aaaaaaaaaaaaaaaa", "cccccccccccccccc"]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it("an interrupted last line: reported, and the next append starts on a new line", async () => {
    const dir = await tempDir();
    const file = join(dir, "alice.jsonl");
    writeFileSync(file, `${JSON.stringify(rating("aaaaaaaaaaaaaaaa", 4, 3))}\n{"v":1,"type":"rat`);
    const r = readRatings(dir, "alice", known);
    expect(r.problems).toEqual([{ line: 2, reason: "incomplete last line (an interrupted write)" }]);
    const log = RatingsLog.open(file);
    log.append(rating("bbbbbbbbbbbbbbbb", 3, 3));
    log.close();
    const after = readRatings(dir, "alice", known);
    expect(after.problems.map((p) => p.line)).toEqual([2]);
    expect(after.ratings.get("bbbbbbbbbbbbbbbb")).toEqual({ dp: 3, pf: 3 });
    expect(readFileSync(file, "utf8").startsWith(`${JSON.stringify(rating("aaaaaaaaaaaaaaaa", 4, 3))}\n{"v":1,"type":"rat\n`)).toBe(true);
  });

  it("replay of another file's text under a given rater ignores session lines", () => {
    const text = `${JSON.stringify({ ...base, type: "session", pid: 3, set_seed: 0 })}\n${JSON.stringify(rating("aaaaaaaaaaaaaaaa", 0, 0))}\n`;
    expect(replayRatings(text, "alice", known).ratings.size).toBe(1);
  });

  it("rater names must be safe file names", () => {
    expect(() => checkRaterName("alice_2.b-c")).not.toThrow();
    for (const bad of ["", "../x", ".hidden", "a/b", "a b", "x".repeat(65)]) expect(() => checkRaterName(bad)).toThrow(/--rater/);
  });
});

describe("rater lock", () => {
  it("refuses a second live session for one name; takes over a lock left by a dead process", async () => {
    const dir = await tempDir();
    const release = acquireRaterLock(dir, "alice");
    expect(() => acquireRaterLock(dir, "alice")).toThrow(/rater "alice" already has a live session \(pid \d+/);
    const bob = acquireRaterLock(dir, "bob");
    release();
    acquireRaterLock(dir, "alice")();
    bob();

    const child = spawn(process.execPath, ["-e", ""]);
    const deadPid = await new Promise<number>((done) => child.on("exit", () => done(child.pid!)));
    writeFileSync(join(dir, "alice.lock"), JSON.stringify({ pid: deadPid, started_at: "x" }));
    const again = acquireRaterLock(dir, "alice");
    expect(JSON.parse(readFileSync(join(dir, "alice.lock"), "utf8")).pid).toBe(process.pid);
    again();
    appendFileSync(join(dir, "alice.lock"), "garbage");
    acquireRaterLock(dir, "alice")();
  });
});
