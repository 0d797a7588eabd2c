/**
 * Creating a run folder atomically: it exists with its config, or not at all. The contents are written
 * into a temporary sibling (`writeDirAtomic`) that is renamed into place, so a crash at any moment
 * leaves either nothing or a complete folder, plus at most a `.NAME.tmp-…` sibling that the next run
 * (holding the run lock, src/runtime/run-lock.ts) removes.
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeDirAtomic } from "./atomic.js";

/**
 * Remove what a killed writer of `path` (a file or a folder) left beside it: the `.NAME.tmp-…` and
 * `.NAME.old-…` siblings of writeFileAtomic / writeDirAtomic. Call it holding the run lock.
 */
export async function removeLeftovers(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const entries = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const e of entries) {
    if (e.startsWith(prefix) && /^(tmp|old)-/.test(e.slice(prefix.length))) await rm(join(dirname(path), e), { recursive: true, force: true });
  }
}

/**
 * Create `dir` holding `files` (name → text) and the empty `folders`, atomically. An existing `dir`
 * is replaced as a whole: the caller does so only for a run that never reached its first checkpoint
 * and is started again with other settings.
 */
export async function createRunFolder(dir: string, files: Record<string, string>, folders: readonly string[]): Promise<void> {
  await removeLeftovers(dir);
  await writeDirAtomic(dir, async (tmp) => {
    for (const f of folders) await mkdir(join(tmp, f), { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(tmp, name), text);
  });
}
