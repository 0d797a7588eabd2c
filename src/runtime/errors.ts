/**
 * Errors a user can act on. The CLI prints `message` as one line and exits with `exitCode`
 * (2 for bad arguments/config, 1 for bad data or a failed run), never a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 2,
  ) {
    super(message);
    this.name = "UserError";
  }
}
