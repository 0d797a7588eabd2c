/**
 * The OpenAI-compatible LVLM judge (DESIGN §5, anchors-evaluation §3.8): reference then generated image as
 * base64 PNG data URIs, the prompt last; `max_tokens: 1`, `temperature: 0`, `logprobs: true`,
 * `top_logprobs: k`. The first-token candidates map to level log-probabilities (Eq. 9); mass on the
 * levels below `minMass`, no logprobs, or a request that failed after its retries → NaN, never a number.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { UserError } from "../runtime/errors.js";
import { JudgeCache, type CachedResponse } from "./cache.js";
import { EndpointPool } from "./endpoints.js";
import { sha256, toPng, toPngMinSide } from "./image.js";
import { DEFAULT_LEVELS, checkLevels } from "./levels.js";
import { loadTemplates, renderPrompt, type PromptTemplates } from "./prompts.js";
import { choiceText, firstTokenCandidates, malformedCandidates, parseTextScore } from "./response.js";
import { Semaphore } from "./semaphore.js";
import { mapTokensToLevels } from "./token-map.js";
import { failedResult, type Judge, type JudgeRequest, type JudgeResult } from "./types.js";

export interface OpenAIJudgeOptions {
  /** Base URLs of OpenAI-compatible servers, e.g. http://localhost:8000/v1; used in rotation. */
  urls: readonly string[];
  model: string;
  levels?: readonly number[];
  templates?: PromptTemplates;
  /** `top_logprobs` per request (default 20, vLLM's default cap). */
  topLogprobs?: number;
  /** Mass on the levels below this → NaN (default 0.5). */
  minMass?: number;
  /** Requests in flight at most, over all endpoints (default 16). */
  concurrency?: number;
  /** Requests in flight at most to any one endpoint (default: no bound beyond `concurrency`). */
  endpointConcurrency?: number;
  /** Called after every HTTP attempt (for metrics and logs); never changes the outcome. */
  onAttempt?: (event: JudgeAttempt) => void;
  /** Per-request timeout (default 120 s). */
  timeoutMs?: number;
  /** Tries per judgement, first included (default 5). */
  maxAttempts?: number;
  /** First back-off; doubles per retry up to `maxBackoffMs` (defaults 500 ms, 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long an endpoint that refused a connection is skipped (default 30 s, doubling while dead). */
  deadCooldownMs?: number;
  /** Environment variable holding the API key (default PORTRAITRL_JUDGE_API_KEY); the key is never printed. */
  apiKeyEnv?: string;
  /** JSONL cache file; null for none. */
  cacheFile?: string | null;
  /** Parse the digit from the text when the server returns no logprobs (explicit opt-in). */
  textFallback?: boolean;
  /** Images with a shorter side below this are enlarged by an integer factor, nearest neighbour (default 56; 0: never). */
  minImageSide?: number;
}

/** One HTTP attempt: which endpoint, how long, and whether it answered, will be retried, or failed for good. */
export interface JudgeAttempt {
  url: string;
  ms: number;
  outcome: "ok" | "retry" | "fail";
  error?: string;
}

export const DEFAULT_API_KEY_ENV = "PORTRAITRL_JUDGE_API_KEY";

/** Checks the options without any request: UserError (exit 2) on a bad URL, model, level or number. */
export function checkJudgeOptions(o: OpenAIJudgeOptions): void {
  if (o.urls.length === 0) throw new UserError("--judge-url: at least one URL is needed");
  for (const u of o.urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new UserError(`--judge-url '${u}': not a URL (expected e.g. http://localhost:8000/v1)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UserError(`--judge-url '${u}': not an http(s) URL`);
  }
  if (!o.model || o.model.trim() === "") throw new UserError("--judge-model: a model name is required with --judge-url");
  checkLevels(o.levels ?? DEFAULT_LEVELS);
  const positiveInt = (v: number | undefined, name: string, max = Infinity): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1 && v <= max)) throw new UserError(`${name}: expected an integer in [1, ${max}], got ${v}`);
  };
  positiveInt(o.topLogprobs, "--top-logprobs", 20);
  positiveInt(o.concurrency, "--judge-concurrency");
  positiveInt(o.endpointConcurrency, "--judge-endpoint-concurrency");
  positiveInt(o.maxAttempts, "--judge-retries");
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw new UserError(`--judge-timeout: expected a positive number, got ${o.timeoutMs}`);
  if (o.minMass !== undefined && !(o.minMass >= 0 && o.minMass <= 1)) throw new UserError(`--min-mass: expected a number in [0, 1], got ${o.minMass}`);
}

type Outcome = { kind: "ok"; body: unknown } | { kind: "retry"; error: string; waitMs: number; dead?: boolean } | { kind: "fail"; error: string };

function retryAfterMs(headers: Headers | undefined): number | null {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const ra = headers?.get("retry-after");
  if (!ra) return null;
  if (Number.isFinite(Number(ra))) return Number(ra) * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class OpenAIJudge implements Judge {
  readonly name: string;
  readonly levels: readonly number[];
  /** Requests sent to a server (cache hits excluded). */
  requestsSent = 0;
  private readonly o: Required<Omit<OpenAIJudgeOptions, "cacheFile" | "templates" | "endpointConcurrency" | "onAttempt">>;
  private readonly templates: PromptTemplates;
  private readonly pool: EndpointPool;
  private readonly clients: OpenAI[];
  private readonly sem: Semaphore;
  private readonly endpointSems: Semaphore[] | null;
  private readonly onAttempt: ((event: JudgeAttempt) => void) | null;
  private readonly cache: JudgeCache | null;

  constructor(opts: OpenAIJudgeOptions) {
    checkJudgeOptions(opts);
    this.o = {
      urls: opts.urls,
      model: opts.model,
      levels: checkLevels(opts.levels ?? DEFAULT_LEVELS),
      topLogprobs: opts.topLogprobs ?? 20,
      minMass: opts.minMass ?? 0.5,
      concurrency: opts.concurrency ?? 16,
      timeoutMs: opts.timeoutMs ?? 120_000,
      maxAttempts: opts.maxAttempts ?? 5,
      backoffMs: opts.backoffMs ?? 500,
      maxBackoffMs: opts.maxBackoffMs ?? 30_000,
      deadCooldownMs: opts.deadCooldownMs ?? 30_000,
      apiKeyEnv: opts.apiKeyEnv ?? DEFAULT_API_KEY_ENV,
      textFallback: opts.textFallback ?? false,
      minImageSide: opts.minImageSide ?? 56,
    };
    this.levels = this.o.levels;
    this.name = `openai:${this.o.model}`;
    this.templates = opts.templates ?? loadTemplates();
    this.pool = new EndpointPool(this.o.urls, this.o.deadCooldownMs);
    const apiKey = process.env[this.o.apiKeyEnv] ?? "EMPTY";
    this.clients = this.o.urls.map((baseURL) => new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: this.o.timeoutMs }));
    this.sem = new Semaphore(this.o.concurrency);
    const perEndpoint = opts.endpointConcurrency;
    this.endpointSems = perEndpoint !== undefined ? this.o.urls.map(() => new Semaphore(perEndpoint)) : null;
    this.onAttempt = opts.onAttempt ?? null;
    this.cache = opts.cacheFile ? new JudgeCache(opts.cacheFile) : null;
  }

  get inFlight(): number {
    return this.sem.inFlight;
  }

  private body(prompt: string, ref: Uint8Array, gen: Uint8Array): OpenAI.Chat.ChatCompletionCreateParamsNonStreaming {
    const uri = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
    return {
      model: this.o.model,
      temperature: 0,
      max_tokens: 1,
      logprobs: true,
      top_logprobs: this.o.topLogprobs,
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: uri(ref) } },
            { type: "image_url", image_url: { url: uri(gen) } },
            { type: "text", text: prompt },
          ],
        },
      ],
    };
  }

  /** The wait after failed try number `tries`: doubling from backoffMs, at most maxBackoffMs. */
  private backoff(tries: number): number {
    return Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (tries - 1));
  }

  /** One HTTP attempt on one endpoint, classified. */
  private async attempt(index: number, body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, tries: number): Promise<Outcome> {
    const client = this.clients[index] as OpenAI;
    const url = this.o.urls[index] as string;
    const backoff = this.backoff(tries);
    try {
      this.requestsSent++;
      const res = await client.chat.completions.create(body);
      this.pool.markAlive(index);
      const tokens = firstTokenCandidates(res);
      const why = tokens && malformedCandidates(tokens);
      if (why) return { kind: "retry", error: `${url}: malformed response (${why})`, waitMs: backoff };
      return { kind: "ok", body: res };
    } catch (err) {
      if (err instanceof APIConnectionTimeoutError) return { kind: "retry", error: `${url}: timed out after ${this.o.timeoutMs} ms`, waitMs: backoff };
      if (err instanceof APIConnectionError) return { kind: "retry", error: `${url}: connection failed`, waitMs: 0, dead: true };
      if (err instanceof APIError) {
        const status = err.status ?? 0;
        if (status === 429) return { kind: "retry", error: `${url}: HTTP 429`, waitMs: Math.max(backoff, retryAfterMs(err.headers) ?? 0) };
        if (status >= 500) return { kind: "retry", error: `${url}: HTTP ${status}`, waitMs: backoff };
        return { kind: "fail", error: `${url}: HTTP ${status}: ${err.message.slice(0, 200)}` };
      }
      // a truncated or unparsable body: retried like a 5xx
      return { kind: "retry", error: `${url}: malformed response (${err instanceof Error ? err.message.slice(0, 120) : String(err)})`, waitMs: backoff };
    }
  }

  /** Attempts on one endpoint until one is not retryable or the tries run out (the start-up probe). */
  private async attemptRetrying(index: number, body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming): Promise<Outcome> {
    for (let tries = 1; ; tries++) {
      const out = await this.attempt(index, body, tries);
      if (out.kind !== "retry" || tries >= this.o.maxAttempts) return out;
      await sleep(Math.max(out.waitMs, this.backoff(tries)));
    }
  }

  /** One attempt under the endpoint's own bound, reported to `onAttempt`. */
  private async observed(index: number, body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, tries: number): Promise<Outcome> {
    const sem = this.endpointSems?.[index];
    const t0 = performance.now();
    const out = sem ? await sem.run(() => this.attempt(index, body, tries)) : await this.attempt(index, body, tries);
    this.onAttempt?.({ url: this.o.urls[index] as string, ms: performance.now() - t0, outcome: out.kind, ...(out.kind === "ok" ? {} : { error: out.error }) });
    return out;
  }

  /** Sends with rotation, bounded concurrency and retries; the last error when all tries failed. */
  private async send(body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming): Promise<{ body: unknown } | { error: string }> {
    let lastError = "no attempt";
    for (let tries = 1; tries <= this.o.maxAttempts; tries++) {
      const pick = this.pool.pick(Date.now());
      if ("waitMs" in pick) {
        lastError = `all judge endpoints down (${lastError})`;
        await sleep(pick.waitMs);
        continue;
      }
      const out = await this.sem.run(() => this.observed(pick.index, body, tries));
      if (out.kind === "ok") return { body: out.body };
      if (out.kind === "fail") return { error: out.error };
      lastError = out.error;
      if (out.dead) this.pool.markDead(pick.index, Date.now());
      if (tries < this.o.maxAttempts && out.waitMs > 0) await sleep(out.waitMs);
    }
    return { error: `failed after ${this.o.maxAttempts} tries: ${lastError}` };
  }

  private fromTokens(c: CachedResponse, latencyMs: number, cached: boolean): JudgeResult {
    if (c.mode === "text") {
      const lp = parseTextScore(c.text ?? "", this.levels);
      if (!lp) return { ...failedResult(this.levels.length, `no level digit in the answer '${(c.text ?? "").slice(0, 40)}'`, latencyMs), cached, mode: "text" };
      return { logprobs: lp, mass: 1, tokens: [], latencyMs, cached, mode: "text" };
    }
    const { logprobs, mass } = mapTokensToLevels(c.tokens, this.levels);
    if (!(mass >= this.o.minMass)) {
      return { ...failedResult(this.levels.length, `probability mass on the levels ${mass.toFixed(3)} < ${this.o.minMass}`, latencyMs, c.tokens), mass, cached };
    }
    return { logprobs, mass, tokens: c.tokens, latencyMs, cached, mode: "logprobs" };
  }

  async judge(req: JudgeRequest): Promise<JudgeResult> {
    const t0 = performance.now();
    const [ref, gen] = await Promise.all([toPngMinSide(req.reference, this.o.minImageSide), toPngMinSide(req.generated, this.o.minImageSide)]);
    const prompt = renderPrompt(this.templates[req.kind], req.instruction, this.levels);
    const key = sha256(this.o.model, prompt, this.levels.join(","), String(this.o.topLogprobs), ref, gen);
    const hit = this.cache?.get(key);
    if (hit && (hit.mode === "logprobs" || this.o.textFallback)) return this.fromTokens(hit, performance.now() - t0, true);

    const sent = await this.send(this.body(prompt, ref, gen));
    const latency = performance.now() - t0;
    if ("error" in sent) return failedResult(this.levels.length, sent.error, latency);
    const tokens = firstTokenCandidates(sent.body);
    let response: CachedResponse;
    if (tokens) response = { mode: "logprobs", tokens };
    else if (this.o.textFallback) response = { mode: "text", tokens: [], text: choiceText(sent.body) };
    else return failedResult(this.levels.length, "the server returned no logprobs", latency);
    this.cache?.put(key, response);
    return this.fromTokens(response, latency, false);
  }

  /**
   * Start-up probe: one tiny request per endpoint, retried as any request is (backoff, Retry-After), so
   * only an endpoint that stays down is DOWN. Returns one verdict line per endpoint; throws a
   * UserError naming the servers when none answers, or when none returns logprobs and the text
   * fallback was not asked for.
   */
  async probe(): Promise<string[]> {
    const png = await toPng({ kind: "rgb", data: new Float32Array(64 * 64 * 3).fill(0.5), width: 64, height: 64 });
    const body = this.body(`Answer with a single digit from ${this.levels.join(", ")}.`, png, png);
    const verdicts = await Promise.all(
      this.o.urls.map(async (url, i) => {
        const out = await this.attemptRetrying(i, body);
        if (out.kind !== "ok") {
          if ("dead" in out && out.dead) this.pool.markDead(i, Date.now());
          return { url, up: false, logprobs: false, line: `judge ${url}: DOWN (${out.error.replace(`${url}: `, "")}${out.kind === "retry" ? `, ${this.o.maxAttempts} tries` : ""})` };
        }
        const toks = firstTokenCandidates(out.body);
        if (!toks) return { url, up: true, logprobs: false, line: `judge ${url}: up, but returns NO logprobs${this.o.textFallback ? " (text fallback in use)" : ""}` };
        const { mass } = mapTokensToLevels(toks, this.levels);
        return { url, up: true, logprobs: true, line: `judge ${url}: logprobs OK (${toks.length} candidates, mass on levels ${mass.toFixed(2)})` };
      }),
    );
    const up = verdicts.filter((v) => v.up);
    if (up.length === 0) throw new UserError(`no judge server reachable: ${verdicts.map((v) => v.line.replace(/^judge /, "")).join("; ")}`, 1);
    if (!this.o.textFallback && !up.some((v) => v.logprobs)) {
      throw new UserError(`judge ${up.map((v) => v.url).join(", ")}: the server returns no logprobs; pass --judge-text-fallback to parse the digit from the text instead`, 1);
    }
    return verdicts.map((v) => v.line);
  }

  async close(): Promise<void> {
    await this.cache?.close();
  }
}

