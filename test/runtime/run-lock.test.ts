/**
 * The run lock (issue 14, item 3): one writer per folder; a second one gets one line and exit 2; a
 * holder that died (SIGKILL) or whose pid now names another process does not keep it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/runtime/errors.js";
import { acquireRunLock, holderAlive, lockFileOf } from "../../src/runtime/run-lock.js";

/** `work` under the lock of `dir`, released however it ends. */
async function withRunLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(dir, "--out");
  try {
    return await work();
  } finally {
    lock.release();
  }
}

const startOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** A live process that is not this one, and its /proc start time. */
async function otherProcess(): Promise<{ child: ChildProcess; pid: number; start: string }> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  await new Promise((r) => child.once("spawn", r));
  return { child, pid: child.pid!, start: startOf(child.pid!) };
}

function writeHolder(dir: string, pid: number, start: string): void {
  writeFileSync(lockFileOf(dir), JSON.stringify({ pid, start, host: hostname(), since: "2026-01-01T00:00:00.000Z", command: "train --out R" }) + "\n");
}

describe("run lock", () => {
  it("is a file beside the folder holding this process's pid; release removes it", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "run");
    const lock = await acquireRunLock(dir, "--out");
    expect(lock.file).toBe(join(root, ".run.lock"));
    expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
    expect(existsSync(dir)).toBe(false);
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it("a second writer while the holder lives: one line naming the flag, folder and holder, exit 2", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "run");
    const other = await otherProcess();
    writeHolder(dir, other.pid, other.start);
    const err = await acquireRunLock(dir, "--out").then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    expect((err as UserError).message).toBe(`--out ${dir}: in use by another portraitrl process (pid ${other.pid}, \`train --out R\`, since 2026-01-01T00:00:00.000Z); wait for it to finish or stop it`);
    expect(JSON.parse(readFileSync(lockFileOf(dir), "utf8")).pid).toBe(other.pid); // untouched
  });

  it("a holder killed with SIGKILL does not keep it", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "run");
    const other = await otherProcess();
    writeHolder(dir, other.pid, other.start);
    const exited = new Promise((r) => other.child.once("exit", r));
    other.child.kill("SIGKILL");
    await exited;
    expect(holderAlive({ pid: other.pid, start: other.start, host: hostname() })).toBe(false);
    const ran = await withRunLock(dir, async () => JSON.parse(readFileSync(lockFileOf(dir), "utf8")).pid as number);
    expect(ran).toBe(process.pid);
    expect(existsSync(lockFileOf(dir))).toBe(false);
  });

  it("a pid that now names a process started at another time (a reused pid) does not keep it", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "run");
    const other = await otherProcess();
    writeHolder(dir, other.pid, String(Number(other.start) - 1));
    await expect(withRunLock(dir, async () => "ran")).resolves.toBe("ran");
  });

  it("a torn lock file (a holder killed while writing it) does not keep it", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "run");
    writeFileSync(lockFileOf(dir), '{"pid": 12');
    await expect(withRunLock(dir, async () => "ran")).resolves.toBe("ran");
  });

  it("a refused start leaves nothing: the parent folders made for the lock go again", async () => {
    const root = mkdtempSync(join(tmpdir(), "prl-lock-"));
    const dir = join(root, "a", "b", "run");
    await expect(withRunLock(dir, async () => {
      throw new UserError("bad flag", 2);
    })).rejects.toThrow("bad flag");
    expect(existsSync(join(root, "a"))).toBe(false);
  });
});
