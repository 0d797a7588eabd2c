/**
 * The instruction parser for our grammar (instructions.ts): text → the attribute changes it asks for,
 * or "unknown". It finds every known clause (longest first, case and punctuation ignored, any of the
 * pronouns); the text is understood only when nothing but frame words is left over and no attribute
 * is asked for twice with different values.
 */
import type { AttributeChanges, EditableAttribute } from "./attributes.js";
import { BOTH_ARMS, CLAUSES, FRAMES, PRONOUNS } from "./instructions.js";

interface Pattern {
  words: string[];
  sets: [EditableAttribute, string][];
}

const normalise = (s: string): string[] =>
  s.toLowerCase().replace(/[^a-z0-9' -]+/g, " ").split(/[\s-]+/).filter((w) => w.length > 0);

function buildPatterns(): Pattern[] {
  const out: Pattern[] = [];
  for (const [possessive, object] of PRONOUNS) {
    const fill = (ph: string): string[] => normalise(ph.replaceAll("{p}", possessive).replaceAll("{o}", object));
    for (const [attr, table] of Object.entries(CLAUSES) as [EditableAttribute, (typeof CLAUSES)[EditableAttribute]][]) {
      for (const [value, ps] of Object.entries(table)) {
        for (const ph of ps.phrases) out.push({ words: fill(ph), sets: [[attr, value]] });
      }
    }
    for (const [value, ps] of Object.entries(BOTH_ARMS)) {
      for (const ph of ps.phrases) out.push({ words: fill(ph), sets: [["rightArm", value], ["leftArm", value]] });
    }
  }
  const seen = new Set<string>();
  return out
    .filter((p) => (seen.has(p.words.join(" ")) ? false : (seen.add(p.words.join(" ")), true)))
    .sort((a, b) => b.words.length - a.words.length);
}

const PATTERNS = buildPatterns();
const FILLER = new Set([...FRAMES.flatMap((f) => normalise(f.replace("{c}", " "))), "and", "then", "also"]);

export function parseInstruction(text: string): AttributeChanges | "unknown" {
  const words = normalise(text);
  const used = new Array<boolean>(words.length).fill(false);
  const changes: Record<string, string> = {};
  for (const p of PATTERNS) {
    for (let i = 0; i + p.words.length <= words.length; i++) {
      let ok = true;
      for (let k = 0; k < p.words.length && ok; k++) ok = !used[i + k] && words[i + k] === p.words[k];
      if (!ok) continue;
      for (const [a, v] of p.sets) {
        if (changes[a] !== undefined && changes[a] !== v) return "unknown";
        changes[a] = v;
      }
      for (let k = 0; k < p.words.length; k++) used[i + k] = true;
      i += p.words.length - 1;
    }
  }
  if (Object.keys(changes).length === 0) return "unknown";
  for (let i = 0; i < words.length; i++) if (!used[i] && !FILLER.has(words[i] ?? "")) return "unknown";
  return changes as AttributeChanges;
}
