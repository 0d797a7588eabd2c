/**
 * The benches' local OpenAI-compatible judge: answers after a fixed delay, at most `capacity` requests at a
 * time (the rest queue), in a worker thread so that it does not share the measured event loop. Posting
 * "reset" then "stats" to the worker answers its utilisation since the reset: the time-averaged share of its
 * slots that were busy.
 */
import { Worker } from "node:worker_threads";

const SERVER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { capacity, delayMs } = workerData;
let active = 0; const queue = [];
let since = performance.now(), last = since, busy = 0;
function account() { const now = performance.now(); busy += (active / capacity) * (now - last); last = now; }
parentPort.on("message", (m) => { account(); if (m === "reset") { since = last; busy = 0; } else parentPort.postMessage({ utilisation: busy / (last - since) }); });
const body = JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: "3" }, finish_reason: "length",
  logprobs: { content: [{ token: "3", logprob: -0.3, top_logprobs: [
    { token: "3", logprob: -0.3 }, { token: "4", logprob: -1.6 }, { token: "2", logprob: -2.5 }, { token: " 3", logprob: -4 } ] }] } }] });
function start(res) { account(); active++; setTimeout(() => { res.writeHead(200, { "content-type": "application/json" }); res.end(body); account(); active--; const next = queue.shift(); if (next) start(next); }, delayMs); }
const server = http.createServer((req, res) => { req.resume(); req.on("end", () => { if (active < capacity) start(res); else queue.push(res); }); });
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

export async function startFakeJudge(capacity: number, delayMs: number): Promise<{ worker: Worker; port: number }> {
  const worker = new Worker(SERVER, { eval: true, workerData: { capacity, delayMs } });
  const port = await new Promise<number>((r) => worker.once("message", r));
  return { worker, port };
}

/** A numeric `--name N` flag of a bench, or its default. */
export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

