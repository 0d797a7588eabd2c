/** A local OpenAI-compatible chat server for the judge tests: answers as a handler says, counts what it saw. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON value (serialised) or a raw string sent as is. */
  body?: unknown;
  raw?: string;
  delayMs?: number;
}

export interface FakeServer {
  url: string;
  requests: unknown[];
  maxInFlight: number;
  close(): Promise<void>;
}

export type Handler = (body: Record<string, unknown>, n: number) => FakeReply;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const state = { requests: [] as unknown[], inFlight: 0, maxInFlight: 0 };
  const server: Server = createServer((req, res) => {
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    void readBody(req).then((text) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      state.requests.push(body);
      const reply = handler(body, state.requests.length);
      setTimeout(() => {
        state.inFlight--;
        if (res.destroyed) return;
        res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
        res.end(reply.raw ?? JSON.stringify(reply.body ?? {}));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A vLLM-style body: `choices[0].logprobs.content[0]` with the given top tokens (first = chosen). */
export function vllmBody(top: [string, number][]): unknown {
  const [chosen, lp] = top[0] ?? ["", 0];
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: "m",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: chosen },
        finish_reason: "length",
        logprobs: {
          content: [
            {
              token: chosen,
              logprob: lp,
              bytes: [...Buffer.from(chosen)],
              top_logprobs: top.map(([token, logprob]) => ({ token, logprob, bytes: [...Buffer.from(token)] })),
            },
          ],
        },
      },
    ],
  };
}

/** llama.cpp `llama-server`: same shape plus token ids; with post_sampling_probs, `prob` / `top_probs`. */
export function llamaCppBody(top: [string, number][], postSampling = false): unknown {
  const [chosen, lp] = top[0] ?? ["", 0];
  const entry = (token: string, logprob: number, id: number): Record<string, unknown> =>
    postSampling ? { id, token, prob: Math.exp(logprob), bytes: [...Buffer.from(token)] } : { id, token, logprob, bytes: [...Buffer.from(token)] };
  const first = { ...entry(chosen, lp, 0), [postSampling ? "top_probs" : "top_logprobs"]: top.map(([t, l], i) => entry(t, l, i)) };
  return { choices: [{ index: 0, message: { role: "assistant", content: chosen }, finish_reason: "length", logprobs: { content: [first] } }] };
}

/** An Ollama version whose OpenAI layer drops logprobs (ollama#16117): the text only. */
export function noLogprobsBody(text: string): unknown {
  return { choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "length", logprobs: null }] };
}
