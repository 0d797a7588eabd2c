/** The one formatting of a failed zod parse (every reader of a file or body uses it): its first issue as a dotted field path and what is wrong. */
import type { z } from "zod";

export interface FieldIssue {
  /** Dotted path of the field ("(root)" for the value itself); unknown keys are named after their object's path. */
  field: string;
  /** "unknown field", or zod's message. */
  what: string;
}

/** `root` names the value itself when the issue is with it (default "(root)"). */
export function firstIssue(error: z.ZodError, root = "(root)"): FieldIssue {
  const issue = error.issues[0];
  if (!issue) return { field: root, what: "invalid" };
  const prefix = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") return { field: [prefix, issue.keys.join(", ")].filter((s) => s !== "").join("."), what: "unknown field" };
  return { field: prefix || root, what: issue.message };
}

/** The first issue as one phrase, "field: what". */
export function issueText(error: z.ZodError, root = "(root)"): string {
  const { field, what } = firstIssue(error, root);
  return `${field}: ${what}`;
}
