/**
 * The reward service over HTTP: Flow-Factory's JSON protocol (`/compute`, `/pointwise/compute`,
 * `/groupwise/compute` and their `/health`), Edit-R1's pickle protocol (`/mode/<mode>`), `GET /config`
 * and `GET /metrics`. Stateless apart from the judge's content-hash cache, so instances can stand behind
 * any load balancer. Bodies above the size limit are refused (413) without being kept; with a bearer token
 * set, every route but health needs it (401). A judgement that fails after its retries fails the request
 * with a 500, which both clients retry; a refused request is a 4xx with one line saying why.
 * `close()` stops accepting, lets the requests in flight finish, then flushes the judge cache.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RewardItem } from "../reward/index.js";
import { dumpPickle } from "./pickle-dump.js";
import { parseEditR1 } from "./edit-r1.js";
import { parseFlowFactory } from "./flow-factory.js";
import type { Protocol, ServiceMetrics } from "./metrics.js";
import { RequestError } from "./request-error.js";
import type { RewardScorer } from "./scorer.js";

export interface ServiceOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxBodyBytes: number;
  /** Bearer token every route but health requires; null for none. */
  token: string | null;
  /** The `<mode>` names `/mode/<mode>` answers. */
  editR1Modes: readonly string[];
  /** What `GET /config` answers (never the token or an API key). */
  describe: Record<string, unknown>;
}

interface Route {
  protocol: Protocol;
  kind: "health" | "compute" | "edit-r1" | "config" | "metrics";
}

function route(method: string, path: string, modes: readonly string[]): Route | RequestError {
  const ff = /^\/(?:(pointwise|groupwise)\/)?(health|compute)$/.exec(path);
  if (ff) {
    const protocol: Protocol = ff[1] === "groupwise" ? "flow-factory-groupwise" : "flow-factory-pointwise";
    const kind = ff[2] as "health" | "compute";
    if (method !== (kind === "health" ? "GET" : "POST")) return new RequestError(405, `${path}: use ${kind === "health" ? "GET" : "POST"}`);
    return { protocol: kind === "health" ? "other" : protocol, kind };
  }
  const mode = /^\/mode\/([^/]+)$/.exec(path);
  if (mode) {
    if (method !== "POST") return new RequestError(405, `${path}: use POST`);
    const name = decodeURIComponent(mode[1] as string);
    if (!modes.includes(name)) return new RequestError(404, `/mode/${name}: unknown mode; this service answers ${modes.map((m) => `/mode/${m}`).join(", ")} (--edit-r1-mode)`);
    return { protocol: "edit-r1", kind: "edit-r1" };
  }
  if (path === "/config" || path === "/metrics") {
    if (method !== "GET") return new RequestError(405, `${path}: use GET`);
    return { protocol: "other", kind: path === "/config" ? "config" : "metrics" };
  }
  return new RequestError(404, `${path}: no such route (POST /compute, /pointwise/compute, /groupwise/compute, /mode/<mode>; GET /health, /config, /metrics)`);
}

/**
 * The body, at most `limit` bytes. A larger one is read to its end and dropped, never kept, and then refused:
 * answering before the client has sent it all would reset the connection under the client's feet.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers["content-length"]);
  let over = Number.isFinite(declared) && declared > limit;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (over || size > limit) {
      over = true;
      chunks.length = 0;
    } else chunks.push(chunk as Buffer);
  }
  if (over) throw new RequestError(413, `body: larger than the limit of ${limit} bytes (--max-body-mb)`);
  return Buffer.concat(chunks);
}

export class RewardService {
  private readonly server: Server;
  private inFlight = 0;
  private closing = false;
  private drained: (() => void) | null = null;

  constructor(
    private readonly opts: ServiceOptions,
    private readonly scorer: RewardScorer,
    private readonly metrics: ServiceMetrics,
    private readonly log: (line: string) => void,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  }

  /** Stops accepting, waits for the requests in flight, then releases the judge. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.server.closeIdleConnections();
    await closed;
    await this.scorer.close();
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Uint8Array): void {
    res.writeHead(status, { "content-type": type, ...(this.closing ? { connection: "close" } : {}) });
    res.end(body);
  }

  private refuse(res: ServerResponse, protocol: Protocol, err: RequestError): void {
    if (protocol === "edit-r1") return this.send(res, err.status, "text/plain; charset=utf-8", `${err.message}\n`);
    const body = protocol === "other" ? { error: err.message } : { error: err.message, rewards: null };
    this.send(res, err.status, "application/json", JSON.stringify(body));
  }

  private authorised(req: IncomingMessage): boolean {
    return this.opts.token === null || req.headers.authorization === `Bearer ${this.opts.token}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const path = (req.url ?? "/").split("?")[0] as string;
    const r = route(req.method ?? "GET", path, this.opts.editR1Modes);
    const protocol: Protocol = r instanceof RequestError ? (path.startsWith("/mode/") ? "edit-r1" : "other") : r.protocol;
    let status = 200;
    let items = 0;
    this.inFlight++;
    const done = this.metrics.started();
    try {
      if (r instanceof RequestError) throw r;
      if (r.kind === "health") {
        if (this.closing) throw new RequestError(503, "shutting down");
        return this.send(res, 200, "application/json", JSON.stringify({ status: "ok" }));
      }
      if (!this.authorised(req)) throw new RequestError(401, "authorization: a valid 'Bearer <token>' header is required");
      if (r.kind === "config") return this.send(res, 200, "application/json", JSON.stringify(this.opts.describe, null, 2));
      if (r.kind === "metrics") return this.send(res, 200, this.metrics.contentType, await this.metrics.text());
      if (this.scorer.opts.returns === "standardized" && r.protocol !== "flow-factory-groupwise") {
        await readBody(req, 0).catch(() => undefined); // read to the end and dropped
        throw new RequestError(400, `this service returns the Eq. 12–13 standardized reward, which needs a whole group: post to /groupwise/compute, or serve --returns dp, pf or sum for ${path}`);
      }
      const body = await readBody(req, this.opts.maxBodyBytes);
      const parsed: RewardItem[] = r.kind === "edit-r1" ? await parseEditR1(body) : await parseFlowFactory(parseJson(body), r.protocol === "flow-factory-groupwise");
      items = parsed.length;
      const out = await this.scorer.score(parsed);
      if ("error" in out) throw new RequestError(500, out.error);
      if (r.kind === "edit-r1") return this.send(res, 200, "application/octet-stream", dumpPickle({ scores: out.rewards }));
      this.send(res, 200, "application/json", JSON.stringify({ rewards: out.rewards }));
    } catch (err) {
      const e = err instanceof RequestError ? err : new RequestError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      status = e.status;
      if (status !== 404 && status !== 503) this.log(`${req.method} ${path} ${status}: ${e.message}`);
      if (!res.headersSent) this.refuse(res, protocol, e);
    } finally {
      this.metrics.answered(protocol, status, (performance.now() - t0) / 1000, items);
      done();
      this.inFlight--;
      if (this.inFlight === 0 && this.drained) this.drained();
    }
  }
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (err) {
    throw new RequestError(400, `body: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
