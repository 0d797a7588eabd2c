/** Python 3 for the protocol clients: found once; the tests that need it are skipped, with one line, without it. */
import { execFile, spawnSync } from "node:child_process";

function findPython(): string | null {
  const r = spawnSync("python3", ["-c", "import sys; print(sys.version_info[0])"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "3" ? "python3" : null;
}

export const PYTHON = findPython();
if (PYTHON === null) process.stderr.write("test/serve: python3 not found: the Python protocol-client tests are skipped\n");

/** Runs a Python script without blocking the event loop (the service under test runs in this process). */
export function runPython(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(PYTHON ?? "python3", args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
