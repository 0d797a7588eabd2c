/**
 * Prompt templates for the judge (prompts/dp.txt, pf.txt, dual-pd.txt at the package root). Placeholders:
 * {instruction}, {levels} ("0, 1, 2, 3, 4"), {min}, {max}. The DP prompt may not name {instruction}: the
 * paper's DP judge sees the reference and the generated image only (§3.2, X_dp = (x_r; x_0)), and PF
 * with Eq. 12–13 is what stops a copy. A template missing a required placeholder or naming one it may not
 * use is a UserError (exit 2), raised before any request.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../runtime/errors.js";
import type { PromptKind } from "./types.js";

/** The prompts/ folder shipped with the package (two levels above src/reward and dist/reward). */
export const DEFAULT_PROMPT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "prompts");

export const PROMPT_FILES: Record<PromptKind, string> = { dp: "dp.txt", pf: "pf.txt", dual: "dual-pd.txt" };

const KNOWN = ["instruction", "levels", "min", "max"] as const;
/** Every placeholder a kind may use is required. */
const REQUIRED: Record<PromptKind, readonly string[]> = {
  dp: ["levels", "min", "max"],
  pf: ["instruction", "levels", "min", "max"],
  dual: ["instruction", "levels", "min", "max"],
};

export type PromptTemplates = Record<PromptKind, string>;

/** Checks one template's placeholders; `where` names the file in the error. */
export function checkTemplate(kind: PromptKind, text: string, where: string): string {
  const names = [...text.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1] as string);
  for (const n of names) {
    if (!(KNOWN as readonly string[]).includes(n)) throw new UserError(`${where}: unknown placeholder {${n}} (known: ${KNOWN.map((k) => `{${k}}`).join(", ")})`);
    if (!REQUIRED[kind].includes(n)) throw new UserError(`${where}: a ${kind} prompt may not use {${n}} (the DP judge sees the reference and the generated image only, paper §3.2)`);
  }
  for (const r of REQUIRED[kind]) {
    if (!names.includes(r)) throw new UserError(`${where}: missing placeholder {${r}} (a ${kind} prompt needs ${REQUIRED[kind].map((k) => `{${k}}`).join(", ")})`);
  }
  return text;
}

export function loadTemplates(dir: string = DEFAULT_PROMPT_DIR): PromptTemplates {
  const read = (kind: PromptKind): string => {
    const file = join(dir, PROMPT_FILES[kind]);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new UserError(`${file}: cannot read the ${kind} prompt template`);
    }
    return checkTemplate(kind, text, file);
  };
  return { dp: read("dp"), pf: read("pf"), dual: read("dual") };
}

export function renderPrompt(template: string, instruction: string, levels: readonly number[]): string {
  const values: Record<string, string> = {
    instruction: instruction.replace(/\s+/g, " ").trim(),
    levels: levels.join(", "),
    min: String(Math.min(...levels)),
    max: String(Math.max(...levels)),
  };
  return template.replace(/\{([A-Za-z_]+)\}/g, (whole, name: string) => values[name] ?? whole).trimEnd();
}
