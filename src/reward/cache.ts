/**
 * Content-hash disk cache of judge responses: an append-only JSONL file, one `{"k": key, "v": value}` per
 * line. Writes are grouped and fsync'ed; on load, a torn last line (a crash mid-write) is ignored and the
 * next append starts on a fresh line, so a resumed run pays nothing twice for what reached the disk.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface CachedResponse {
  mode: "logprobs" | "text";
  tokens: { token: string; logprob: number }[];
  text?: string;
}

export class JudgeCache {
  private readonly map = new Map<string, CachedResponse>();
  private pending: string[] = [];
  private flushing: Promise<void> | null = null;
  private fd: number | null = null;
  private needsNewline = false;
  /** Lines that could not be parsed on load (a torn last line counts here). */
  readonly skippedLines: number;

  constructor(readonly file: string) {
    let skipped = 0;
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      this.needsNewline = text.length > 0 && !text.endsWith("\n");
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        try {
          const rec = JSON.parse(line) as { k?: unknown; v?: CachedResponse };
          if (typeof rec.k === "string" && rec.v && Array.isArray(rec.v.tokens)) this.map.set(rec.k, rec.v);
          else skipped++;
        } catch {
          skipped++;
        }
      }
    }
    this.skippedLines = skipped;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): CachedResponse | undefined {
    return this.map.get(key);
  }

  put(key: string, value: CachedResponse): void {
    if (this.map.has(key)) return;
    this.map.set(key, value);
    this.pending.push(JSON.stringify({ k: key, v: value }) + "\n");
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.writePending());
  }

  private writePending(): void {
    this.flushing = null;
    if (this.pending.length === 0) return;
    if (this.fd === null) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.fd = openSync(this.file, "a");
    }
    const chunk = (this.needsNewline ? "\n" : "") + this.pending.join("");
    this.needsNewline = false;
    this.pending = [];
    writeSync(this.fd, chunk);
    fsyncSync(this.fd);
  }

  /** Writes and fsyncs everything put so far. */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    this.writePending();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
