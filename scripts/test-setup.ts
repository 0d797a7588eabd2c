/**
 * `npm test`'s pretest: installs what the tests need beyond `npm install`, so that the README's test
 * command passes on a fresh Debian machine by itself. Today that is one thing: the browser tests
 * (test/rate/e2e, test/report/chromium) drive Debian's `chromium` through playwright-core. When it is
 * missing, this says in one line what it installs and runs `apt-get install chromium` (through
 * `sudo -n` when not root); when it cannot, it stops `npm test` with one line saying why.
 * PORTRAITRL_CHROMIUM names another browser binary (default /usr/bin/chromium).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

const CHROMIUM = process.env.PORTRAITRL_CHROMIUM ?? "/usr/bin/chromium";

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((d) => d !== "" && existsSync(join(d, name)));
}

function fail(why: string): never {
  process.stderr.write(`npm test: ${CHROMIUM} is missing and cannot be installed: ${why}; install it (apt-get install chromium) or set PORTRAITRL_CHROMIUM to a Chromium binary\n`);
  process.exit(1);
}

function run(argv: string[]): string | null {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (r.error) return r.error.message;
  if (r.status !== 0) {
    const last = `${r.stderr}`.trim().split("\n").filter((l) => l.trim() !== "").pop() ?? "";
    return `\`${argv.join(" ")}\` exited ${r.status ?? r.signal}${last ? ` (${last.trim()})` : ""}`;
  }
  return null;
}

if (!existsSync(CHROMIUM)) {
  if (!onPath("apt-get")) fail("apt-get not found (not a Debian/Ubuntu machine)");
  const root = process.getuid?.() === 0;
  if (!root && !onPath("sudo")) fail("not root and no sudo");
  const prefix = root ? [] : ["sudo", "-n"];
  process.stderr.write(`npm test: installing Debian's chromium for the browser tests (${prefix.join(" ")}${root ? "" : " "}apt-get install -y chromium)\n`);
  const why = run([...prefix, "apt-get", "update", "-qq"]) ?? run([...prefix, "apt-get", "install", "-y", "-qq", "chromium"]);
  if (why !== null) fail(why);
  if (!existsSync(CHROMIUM)) fail(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}
