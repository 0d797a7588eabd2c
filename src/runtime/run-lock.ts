/**
 * One writer per run folder (train, sft, compare and eval folders). The lock is a file beside the
 * folder, `PARENT/.NAME.lock`, created with O_EXCL and holding its holder's pid and process start
 * time, so that it can be taken before the folder exists (the folder itself is created atomically
 * under it). A second writer gets one line and exit 2. A holder that died without releasing (SIGKILL,
 * a crash) does not keep it: a lock whose pid is gone, or now belongs to a process started at another
 * time (a reused pid), is taken over, so a crashed run stays resumable.
 */
import { readFileSync, rmdirSync, rmSync } from "node:fs";
import { link, mkdir, readFile, rename, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { writeFileSynced } from "./atomic.js";
import { UserError } from "./errors.js";

interface Holder {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/PID/stat field 22); null where unknown. */
  start: string | null;
  host: string;
  since: string;
  command: string;
}

export interface RunLock {
  readonly file: string;
  /** Remove the lock (when still ours) and the folders made for it that stayed empty; idempotent. */
  release(): void;
}

/** The lock file of `dir`. */
export function lockFileOf(dir: string): string {
  return join(dirname(dir), `.${basename(dir)}.lock`);
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the holder still runs: its pid answers signal 0 and, where /proc says so, started when it did. */
export function holderAlive(h: Pick<Holder, "pid" | "start" | "host">): boolean {
  if (h.host !== hostname()) return true; // another machine on a shared disk: cannot tell, so it holds
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const start = processStart(h.pid);
  return h.start === null || start === null || start === h.start;
}

function parseHolder(text: string): Holder | null {
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isSafeInteger(h.pid) && h.pid > 0 ? h : null;
  } catch {
    return null;
  }
}

async function tryCreate(file: string, text: string): Promise<boolean> {
  try {
    await writeFileSynced(file, text, "wx");
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Take the lock of `dir` for this process, or throw a UserError (exit 2) naming `flag` and the holder.
 * A lock left by a dead holder is taken over: it is renamed aside (one process wins the rename) and, if
 * what was renamed is not the dead holder's, put back.
 */
export async function acquireRunLock(dir: string, flag: string): Promise<RunLock> {
  const file = lockFileOf(dir);
  const createdParent = await mkdir(dirname(file), { recursive: true });
  const me: Holder = { pid: process.pid, start: processStart(process.pid), host: hostname(), since: new Date().toISOString(), command: process.argv.slice(2).join(" ") };
  const text = `${JSON.stringify(me)}\n`;
  for (;;) {
    if (await tryCreate(file, text)) break;
    const seen = await readFile(file, "utf8").catch(() => null);
    if (seen === null) continue; // released between our two calls
    const holder = parseHolder(seen);
    if (holder !== null && holderAlive(holder)) {
      throw new UserError(`${flag} ${dir}: in use by another portraitrl process (pid ${holder.pid}${holder.host !== me.host ? ` on ${holder.host}` : ""}, \`${holder.command}\`, since ${holder.since}); wait for it to finish or stop it`, 2);
    }
    // a torn or dead holder's lock: take it over
    const aside = `${file}.stale-${process.pid}`;
    try {
      await rename(file, aside);
    } catch {
      continue; // another process took it over first
    }
    const moved = await readFile(aside, "utf8").catch(() => null);
    if (moved !== seen && moved !== null) await link(aside, file).catch(() => undefined); // a live holder's: put it back
    await rm(aside, { force: true });
  }
  let held = true;
  return {
    file,
    release: () => {
      if (!held) return;
      held = false;
      if (readOrNull(file) === text) rmSync(file, { force: true });
      // a refused start leaves nothing: remove the folders made for the lock when they stayed empty
      for (let d = dirname(file); createdParent !== undefined && d.startsWith(createdParent); d = dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          break;
        }
      }
    },
  };
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * A command's lock on its output folder for the rest of the process: released on exit, whichever way
 * the process exits short of SIGKILL (whose lock the next run takes over).
 */
export async function holdRunLock(dir: string, flag: string): Promise<void> {
  const lock = await acquireRunLock(dir, flag);
  process.once("exit", () => lock.release());
}
