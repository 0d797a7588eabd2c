/**
 * The rating server: node:http on 127.0.0.1 only. Routes are matched on the raw request path, never mapped
 * onto the file system: images are reached by opaque item id, and each file is checked to lie inside its
 * sample folder (symlinks followed) before it is re-encoded (which also drops any metadata) and sent.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { z } from "zod";
import { UserError } from "../../runtime/errors.js";
import { issueText } from "../../runtime/zod-error.js";
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from "./page.js";
import type { RateItem, RateSet } from "./set.js";
import { raterOrder } from "./set.js";
import { realInside } from "./sources.js";
import { acquireRaterLock, checkRaterName, ratingsPath, RatingsLog, readRatings, type LogProblem, type Replayed } from "./store.js";

export interface RateServerOptions {
  set: RateSet;
  /** The ratings folder (holds set.json and <rater>.jsonl). */
  outDir: string;
  rater: string;
  /** 0 picks a free port. */
  port: number;
}

/** What the page sees: opaque ids, the instruction and image URLs; never a method or a path. */
export interface PublicState {
  rater: string;
  total: number;
  done: number;
  item: { id: string; instruction: string; reference: string; generated: string } | null;
  /** The item an undo would take back. */
  undo: string | null;
}

export interface RateServer {
  url: string;
  port: number;
  /** Problems found while replaying this rater's file (corrupt lines, skipped). */
  problems: LogProblem[];
  state(): PublicState;
  close(): Promise<void>;
}

const MAX_BODY = 4096;
const LEVEL = z.number().int().min(0).max(4);
const rateBody = z.strictObject({ item: z.string(), dp: LEVEL, pf: LEVEL });
const undoBody = z.strictObject({ item: z.string() });
const IMAGE_PATH = /^\/img\/([0-9a-f]{16})\/(reference|generated)$/;

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = "no-store"): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Cache-Control": cache, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `body over ${MAX_BODY} bytes`));
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function parseJsonBody<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) throw new HttpError(400, "expected Content-Type: application/json");
  const text = await readBody(req);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, "body is not JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new HttpError(400, issueText(parsed.error, "body"));
  }
  return parsed.data;
}

/** Start serving one rater's session. Refuses a second live session for the same rater name. */
export async function startRateServer(opts: RateServerOptions): Promise<RateServer> {
  const { set, outDir, rater } = opts;
  checkRaterName(rater);
  const items = new Map<string, RateItem>(set.items.map((i) => [i.id, i]));
  const release = acquireRaterLock(outDir, rater);
  let log: RatingsLog;
  let replayed: Replayed;
  const session = randomUUID();
  try {
    replayed = readRatings(outDir, rater, new Set(items.keys()));
    log = RatingsLog.open(ratingsPath(outDir, rater));
    log.append({ v: 1, type: "session", rater, session, at: new Date().toISOString(), pid: process.pid, set_seed: set.seed });
  } catch (err) {
    release();
    throw err;
  }
  const order = raterOrder(set, rater);
  const { ratings, stack } = replayed;

  const state = (): PublicState => {
    const next = order.find((id) => !ratings.has(id));
    const item = next === undefined ? null : items.get(next)!;
    return {
      rater,
      total: order.length,
      done: ratings.size,
      item: item === null ? null : { id: item.id, instruction: item.instruction, reference: `/img/${item.id}/reference`, generated: `/img/${item.id}/generated` },
      undo: stack.at(-1) ?? null,
    };
  };

  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = req.url ?? "";
    if (!raw.startsWith("/")) throw new HttpError(400, "bad request target");
    if (!allowedHosts().includes(req.headers.host ?? "")) throw new HttpError(403, "unexpected Host header");
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedHosts().some((h) => origin === `http://${h}`)) throw new HttpError(403, "cross-origin request");
    const path = raw.split("?")[0]!;
    const method = req.method ?? "";
    const only = (m: string): void => {
      if (method !== m) throw new HttpError(405, `use ${m}`);
    };
    if (path === "/") {
      only("GET");
      return send(res, 200, "text/html; charset=utf-8", PAGE_HTML);
    }
    if (path === "/app.js") {
      only("GET");
      return send(res, 200, "text/javascript; charset=utf-8", PAGE_JS);
    }
    if (path === "/app.css") {
      only("GET");
      return send(res, 200, "text/css; charset=utf-8", PAGE_CSS);
    }
    if (path === "/favicon.ico") {
      only("GET");
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    if (path === "/api/state") {
      only("GET");
      return sendJson(res, 200, state());
    }
    if (path === "/api/rate") {
      only("POST");
      const body = await parseJsonBody(req, rateBody);
      if (!items.has(body.item)) throw new HttpError(400, "item: unknown id");
      const current = state().item;
      if (current === null || current.id !== body.item) throw new HttpError(409, "this sample is not the one to rate now (another tab?); reloaded");
      log.append({ v: 1, type: "rating", rater, item: body.item, dp: body.dp, pf: body.pf, at: new Date().toISOString(), session });
      ratings.set(body.item, { dp: body.dp, pf: body.pf });
      stack.push(body.item);
      return sendJson(res, 200, state());
    }
    if (path === "/api/undo") {
      only("POST");
      const body = await parseJsonBody(req, undoBody);
      if (!items.has(body.item)) throw new HttpError(400, "item: unknown id");
      if (stack.at(-1) !== body.item) throw new HttpError(409, "nothing to undo for this sample (another tab?); reloaded");
      log.append({ v: 1, type: "undo", rater, item: body.item, at: new Date().toISOString(), session });
      ratings.delete(body.item);
      stack.pop();
      return sendJson(res, 200, state());
    }
    const m = IMAGE_PATH.exec(path);
    if (m !== null) {
      only("GET");
      const item = items.get(m[1]!);
      if (item === undefined) throw new HttpError(404, "not found");
      const file = m[2] === "reference" ? item.reference_image : item.generated_image;
      const dir = set.sources[item.source]!.dir;
      if (!(await realInside(dir, file))) throw new HttpError(403, "outside the sample set");
      const png = await sharp(file).png().toBuffer();
      return send(res, 200, "image/png", png, "private, max-age=3600");
    }
    throw new HttpError(404, "not found");
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : "internal error";
      if (!(err instanceof HttpError)) process.stderr.write(`rate: ${req.method} ${req.url}: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.destroy();
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, "127.0.0.1", () => resolve());
    });
  } catch (err) {
    log.close();
    release();
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`rate: cannot listen on 127.0.0.1:${opts.port} (${code ?? String(err)}); pass another --port`, 2);
  }
  port = (server.address() as AddressInfo).port;

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    problems: replayed.problems,
    state,
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      log.close();
      release();
    },
  };
}
