/** The judge interface (DESIGN §5): one prompt kind, the LVLM's inputs, log-probabilities over score levels. */

/** An image as the reward sees it: raw RGB floats [H, W, 3] in [0, 1], row-major, or encoded PNG bytes. */
export type Image =
  | { kind: "rgb"; data: Float32Array; width: number; height: number }
  | { kind: "png"; bytes: Uint8Array };

/** `dp` detail preservation, `pf` prompt following, `dual` the one-prompt Dual-PD ablation. */
export type PromptKind = "dp" | "pf" | "dual";

export interface JudgeRequest {
  kind: PromptKind;
  reference: Image;
  instruction: string;
  generated: Image;
}

/** A returned candidate token for the first generated position, as the server sent it. */
export interface RawToken {
  token: string;
  logprob: number;
}

export interface JudgeResult {
  /** log p(level) renormalised over the levels (Eq. 9); all NaN when the judgement failed. */
  logprobs: number[];
  /** Probability mass that fell on level tokens before renormalisation (1 for the synthetic judge). */
  mass: number;
  /** Raw tokens of the first position (empty for the synthetic judge). */
  tokens: RawToken[];
  latencyMs: number;
  cached: boolean;
  mode: "logprobs" | "text" | "synthetic";
  /** Why the judgement failed; absent when it succeeded. */
  error?: string;
}

export interface Judge {
  readonly name: string;
  /** Score levels m_0..m_n (Eq. 9), ascending. */
  readonly levels: readonly number[];
  judge(request: JudgeRequest): Promise<JudgeResult>;
  /** Flushes caches and releases connections. */
  close(): Promise<void>;
}

export function failedResult(levels: number, error: string, latencyMs: number, tokens: RawToken[] = []): JudgeResult {
  return { logprobs: new Array<number>(levels).fill(Number.NaN), mass: 0, tokens, latencyMs, cached: false, mode: "logprobs", error };
}
