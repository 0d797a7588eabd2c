/** The synthetic judge and embedder wired to the benchmark's recognizer and instruction parser. */
import { parseInstruction, recognize } from "../data/index.js";
import { SyntheticEmbedder } from "./synthetic-embedder.js";
import { SyntheticJudge, type SyntheticJudgeOptions } from "./synthetic-judge.js";

export function createSyntheticJudge(opts: Omit<SyntheticJudgeOptions, "recognize" | "parseInstruction"> = {}): SyntheticJudge {
  return new SyntheticJudge({ recognize, parseInstruction, ...opts });
}

export function createSyntheticEmbedder(): SyntheticEmbedder {
  return new SyntheticEmbedder(recognize, parseInstruction);
}
