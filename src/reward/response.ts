/**
 * Reading the first-token candidates out of a chat-completion body, as vLLM / SGLang / llama.cpp / Ollama
 * send them: `choices[0].logprobs.content[0].{token, logprob, top_logprobs[]}`; llama.cpp with
 * `post_sampling_probs` sends `prob` / `top_probs` instead; a token may come only as `bytes`.
 */
import type { RawToken } from "./types.js";

type Entry = { token?: unknown; logprob?: unknown; prob?: unknown; bytes?: unknown };

function readEntry(e: Entry): RawToken | null {
  let token: string | null = typeof e.token === "string" ? e.token : null;
  if (token === null && Array.isArray(e.bytes) && e.bytes.every((b) => typeof b === "number")) {
    token = Buffer.from(e.bytes as number[]).toString("utf8");
  }
  const logprob = typeof e.logprob === "number" ? e.logprob : typeof e.prob === "number" ? Math.log(e.prob) : null;
  return token === null || logprob === null ? null : { token, logprob };
}

/** The candidates of the first generated token, or null when the body carries no logprobs. */
export function firstTokenCandidates(body: unknown): RawToken[] | null {
  const choice = (body as { choices?: { logprobs?: { content?: unknown } | null }[] } | null)?.choices?.[0];
  const content = choice?.logprobs?.content;
  if (!Array.isArray(content) || content.length === 0) return null;
  const first = content[0] as Entry & { top_logprobs?: unknown; top_probs?: unknown };
  const tops = Array.isArray(first.top_logprobs) ? first.top_logprobs : Array.isArray(first.top_probs) ? first.top_probs : [];
  const out: RawToken[] = [];
  for (const e of [...(tops as Entry[]), first]) {
    const t = e && typeof e === "object" ? readEntry(e) : null;
    if (t && !out.some((o) => o.token === t.token)) out.push(t);
  }
  return out.length > 0 ? out : null;
}

/**
 * Why first-token candidates cannot be log-probabilities, or null: one above 0 (a probability above 1;
 * float rounding of a certain token allowed) makes the whole body malformed, never a score.
 */
export function malformedCandidates(tokens: readonly RawToken[]): string | null {
  const bad = tokens.find((t) => Number.isNaN(t.logprob) || t.logprob > 1e-6);
  return bad ? `log-probability ${bad.logprob} of token ${JSON.stringify(bad.token)} is not <= 0` : null;
}

/** The generated text of the first choice ("" when absent). */
export function choiceText(body: unknown): string {
  const msg = (body as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
  return typeof msg === "string" ? msg : "";
}

/** Text fallback: the first digit of the answer that is one of the levels, as a one-hot log-probability. */
export function parseTextScore(text: string, levels: readonly number[]): number[] | null {
  const m = /\d/.exec(text);
  if (!m) return null;
  const i = levels.indexOf(Number(m[0]));
  if (i < 0) return null;
  return levels.map((_, j) => (j === i ? 0 : -Infinity));
}
