/**
 * Ctrl-C for the long commands (sft, train, compare): the first SIGINT asks the work to stop at its next
 * safe point (it polls `stopping()`, checkpoints and returns); a second one exits at once with 130.
 */
export async function interruptible<T>(notice: string, work: (stopping: () => boolean) => Promise<T>): Promise<T> {
  let stop = false;
  const onSigint = (): void => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write(`portraitrl: interrupt: ${notice} (Ctrl-C again to quit now)\n`);
  };
  process.on("SIGINT", onSigint);
  try {
    return await work(() => stop);
  } finally {
    process.off("SIGINT", onSigint);
  }
}
