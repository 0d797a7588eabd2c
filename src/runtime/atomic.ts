/**
 * Crash-safe writes: everything is written under a temporary name beside the target, then renamed
 * into place, so a reader never sees half a file or half a folder.
 */
import { mkdir, open, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

function tempSibling(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/** Write `data` to `path` and fsync it; flag "wx" fails with EEXIST when the file exists. */
export async function writeFileSynced(path: string, data: Uint8Array | string, flag: "w" | "wx" = "w"): Promise<void> {
  const fh = await open(path, flag);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Write `data` to `path` atomically (temp file in the same folder, fsync, rename). `fsync: false` skips
 * the fsync, for the many small files of a folder that is itself made atomically or regenerated.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, { fsync = true }: { fsync?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempSibling(path, "tmp");
  try {
    if (fsync) await writeFileSynced(tmp, data);
    else await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Build a folder atomically: `fill(tmpDir)` writes the contents into a fresh temporary folder, which
 * then replaces `dir`. An existing `dir` is moved aside first and removed only after the new folder
 * is in place; if `fill` throws, the temporary folder is removed and `dir` is untouched.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempSibling(dir, "tmp");
  await mkdir(tmp);
  try {
    await fill(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (await exists(dir)) {
    const old = tempSibling(dir, "old");
    await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(tmp, dir);
  }
}
