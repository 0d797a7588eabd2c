/** Paths inside output folders: relative, never leaving the folder (scratch/FORMATS.md). */
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";

/** Resolve `p` (relative to `dir`); an error string when it is absolute or leaves the folder. */
export function resolveInside(dir: string, p: string): { path: string } | { error: string } {
  if (p.length === 0) return { error: "empty path" };
  if (isAbsolute(p)) return { error: `absolute path ${JSON.stringify(p)}: must be relative to the folder` };
  const root = resolve(dir);
  const full = resolve(root, p);
  const rel = relative(root, full);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { error: `path ${JSON.stringify(p)} leaves the folder` };
  }
  return { path: full };
}

/** A file name stem for a record id: the id itself when it is a safe name, else a sanitised name + hash. */
export function fileStem(id: string): string {
  if (/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(id)) return id;
  const clean = id.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^\.+/, "").slice(0, 60);
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 10);
  return `${clean}-${hash}`;
}
