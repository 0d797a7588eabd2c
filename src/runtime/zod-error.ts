/** The one formatting of a failed zod parse: its first issue as a dotted field path and what is wrong. */
import type { z } from "zod";

export interface FieldIssue {
  /** Dotted path of the field ("(root)" for the value itself); unknown keys are named after their object's path. */
  field: string;
  /** "unknown field", or zod's message. */
  what: string;
}

export function firstIssue(error: z.ZodError): FieldIssue {
  const issue = error.issues[0];
  if (!issue) return { field: "(root)", what: "invalid" };
  const prefix = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") return { field: [prefix, issue.keys.join(", ")].filter((s) => s !== "").join("."), what: "unknown field" };
  return { field: prefix || "(root)", what: issue.message };
}
