/**
 * The checkpoint shipped in the repository: exported from an SFT run with only what inference and
 * RL need (config + base weights), and guarded by a `sha256sum`-format file of every file in it, so
 * a corrupted or half-pulled checkpoint is caught before any work with a message that says what to do.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from "../model/index.js";
import { UserError } from "../runtime/errors.js";
import { writeFileAtomic } from "../runtime/atomic.js";

async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

/** Write `dir` (config + base weights of `from`) and its checksum file `sumsFile`. */
export async function exportCheckpoint(from: LoadedCheckpoint, dir: string, sumsFile: string): Promise<void> {
  await saveCheckpoint(dir, { config: from.config, base: from.base });
  const names = (await readdir(dir)).sort();
  const lines = await Promise.all(names.map(async (n) => `${await sha256File(join(dir, n))}  ${basename(dir)}/${n}\n`));
  await writeFileAtomic(sumsFile, lines.join(""));
}

/** Check every file against `sumsFile`, then load. One line naming the bad file on failure (exit 1). */
export async function loadShippedCheckpoint(dir: string, sumsFile: string): Promise<LoadedCheckpoint> {
  const fix = "restore it with `git checkout -- checkpoints/` or retrain it with `npm run train:sft`";
  let sums: string;
  try {
    sums = await readFile(sumsFile, "utf8");
  } catch {
    throw new UserError(`${sumsFile}: missing; cannot verify the shipped checkpoint (${fix})`, 1);
  }
  const entries = sums
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      const m = /^([0-9a-f]{64}) {2}[^/]+\/(.+)$/.exec(l);
      if (!m) throw new UserError(`${sumsFile}:${i + 1}: not a "sha256  folder/file" line`, 1);
      return { sha: m[1]!, name: m[2]! };
    });
  for (const { sha, name } of entries) {
    const path = join(dir, name);
    let got: string;
    try {
      got = await sha256File(path);
    } catch {
      throw new UserError(`${path}: missing from the shipped checkpoint (${fix})`, 1);
    }
    if (got !== sha) throw new UserError(`${path}: SHA-256 ${got.slice(0, 12)}… does not match ${sumsFile} (corrupted; ${fix})`, 1);
  }
  return loadCheckpoint(dir);
}
