/**
 * Ratings on disk: one append-only JSONL file per rater (RATINGS_DIR/<rater>.jsonl). Every event is
 * written and fsynced before the page is answered; the file is never rewritten. Replaying the events
 * gives the rater's current ratings; a corrupt line is reported with its line number and skipped.
 * A lock file (RATINGS_DIR/<rater>.lock, holding the pid) refuses a second live session for one name.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, fstatSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../../runtime/errors.js";
import { issueText } from "../../runtime/zod-error.js";

/** Rater names become file names: letters, digits, `_ . -`, starting with a letter or digit. */
const RATER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkRaterName(name: string): void {
  if (!RATER_NAME.test(name)) {
    throw new UserError(`rate: --rater ${JSON.stringify(name)}: use 1-64 letters, digits, '_', '.', '-' (starting with a letter or digit)`, 2);
  }
}

export const LEVELS = [0, 1, 2, 3, 4] as const;
const level = z.number().int().min(0).max(4);

const ratingEvent = z.strictObject({
  v: z.literal(1),
  type: z.literal("rating"),
  rater: z.string(),
  item: z.string(),
  dp: level,
  pf: level,
  at: z.string(),
  session: z.string(),
});
const undoEvent = z.strictObject({
  v: z.literal(1),
  type: z.literal("undo"),
  rater: z.string(),
  item: z.string(),
  at: z.string(),
  session: z.string(),
});
const sessionEvent = z.strictObject({
  v: z.literal(1),
  type: z.literal("session"),
  rater: z.string(),
  session: z.string(),
  at: z.string(),
  pid: z.number().int(),
  set_seed: z.number().int(),
});
const eventSchema = z.discriminatedUnion("type", [ratingEvent, undoEvent, sessionEvent]);
export type RatingsEvent = z.infer<typeof eventSchema>;

export interface Score {
  dp: number;
  pf: number;
}

export interface LogProblem {
  line: number;
  reason: string;
}

/** A rater's state after replaying their file. */
export interface Replayed {
  /** item id → the rater's current scores (0..4). */
  ratings: Map<string, Score>;
  /** Rated items, most recent last: what undo takes back. */
  stack: string[];
  problems: LogProblem[];
}

/** Replay a rater's JSONL text. Lines that do not parse, belong to another rater or name unknown items are problems. */
export function replayRatings(text: string, rater: string, knownItems: ReadonlySet<string>): Replayed {
  const ratings = new Map<string, Score>();
  const stack: string[] = [];
  const problems: LogProblem[] = [];
  const lines = text.split("\n");
  for (const [i, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const lineNo = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      const last = i === lines.length - 1;
      problems.push({ line: lineNo, reason: last ? "incomplete last line (an interrupted write)" : `not JSON (${(err as Error).message})` });
      continue;
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) {
      problems.push({ line: lineNo, reason: issueText(parsed.error) });
      continue;
    }
    const ev = parsed.data;
    if (ev.rater !== rater) {
      problems.push({ line: lineNo, reason: `rater ${JSON.stringify(ev.rater)} in the file of ${JSON.stringify(rater)}` });
      continue;
    }
    if (ev.type === "session") continue;
    if (!knownItems.has(ev.item)) {
      problems.push({ line: lineNo, reason: `item ${JSON.stringify(ev.item)} is not in set.json` });
      continue;
    }
    const at = stack.indexOf(ev.item);
    if (ev.type === "rating") {
      if (at >= 0) stack.splice(at, 1);
      stack.push(ev.item);
      ratings.set(ev.item, { dp: ev.dp, pf: ev.pf });
    } else {
      if (at < 0) {
        problems.push({ line: lineNo, reason: `undo of item ${JSON.stringify(ev.item)}, which is not rated` });
        continue;
      }
      stack.splice(at, 1);
      ratings.delete(ev.item);
    }
  }
  return { ratings, stack, problems };
}

export function ratingsPath(outDir: string, rater: string): string {
  return join(outDir, `${rater}.jsonl`);
}

/** Read and replay a rater's file (empty state when it does not exist yet). */
export function readRatings(outDir: string, rater: string, knownItems: ReadonlySet<string>): Replayed {
  const file = ratingsPath(outDir, rater);
  return replayRatings(existsSync(file) ? readFileSync(file, "utf8") : "", rater, knownItems);
}

/** An open, append-only ratings file. */
export class RatingsLog {
  private constructor(
    readonly file: string,
    private fd: number | null,
  ) {}

  /** Open for appending; when an interrupted write left no final newline, one is appended first. */
  static open(file: string): RatingsLog {
    const fd = openSync(file, "a+");
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        writeSync(fd, "\n");
        fsyncSync(fd);
      }
    }
    return new RatingsLog(file, fd);
  }

  /** Append one event as a line and fsync it. */
  append(event: RatingsEvent): void {
    if (this.fd === null) throw new Error(`${this.file}: closed`);
    writeSync(this.fd, `${JSON.stringify(eventSchema.parse(event))}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take RATINGS_DIR/<rater>.lock for this process. A lock whose pid is alive refuses the session (one live
 * session per rater name, so two people using one name cannot interleave their ratings); a lock left by a
 * dead process is taken over. Returns the release function.
 */
export function acquireRaterLock(outDir: string, rater: string): () => void {
  const file = join(outDir, `${rater}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify({ pid: process.pid, started_at: new Date().toISOString() })}\n`, { flag: "wx" });
      return () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let pid: unknown;
    try {
      pid = (JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid;
    } catch {
      pid = undefined;
    }
    if (typeof pid === "number" && Number.isInteger(pid) && alive(pid)) {
      throw new UserError(
        `rate: rater ${JSON.stringify(rater)} already has a live session (pid ${pid}, lock ${file}); use another --rater name, or stop that session first`,
        2,
      );
    }
    unlinkSync(file);
  }
  throw new UserError(`rate: could not take the lock ${file}`, 1);
}
