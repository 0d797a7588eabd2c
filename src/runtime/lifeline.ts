/**
 * A child `portraitrl` that `compare` or `demo` started exits when its parent is gone, however it died
 * (SIGKILL included): the parent gives each child one end of a pipe as file descriptor PORTRAITRL_LIFELINE
 * (runtime/child.ts) and never writes to it; the kernel closes it when the parent exits, and the child, seeing end-of-file,
 * exits at once. Its run folder stays resumable: every write in it is crash-safe.
 */
import { Socket } from "node:net";

export const LIFELINE_ENV = "PORTRAITRL_LIFELINE";

/** In a child started with a lifeline, exit (status 1) as soon as the parent's end closes. */
export function exitWithParent(): void {
  const fd = Number(process.env[LIFELINE_ENV]);
  if (process.env[LIFELINE_ENV] === undefined || !Number.isInteger(fd) || fd < 3) return;
  delete process.env[LIFELINE_ENV];
  const line = new Socket({ fd, readable: true, writable: false });
  const gone = (): never => process.exit(1);
  line.on("end", gone).on("close", gone).on("error", gone);
  line.resume();
  line.unref();
}
