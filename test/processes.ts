/** Process checks for the tests that kill a parent and look for what it left running (Linux /proc). */
import { readdirSync, readFileSync } from "node:fs";

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The processes whose parent is `pid`, with their command lines. */
export function childrenOf(pid: number): { pid: number; args: string }[] {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== pid) return [];
      return [{ pid: Number(e), args: readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ") }];
    } catch {
      return [];
    }
  });
}
