// Errors the user can fix. The CLI's one top-level catch prints their message as one line and exits 2;
// any other error is a bug and keeps its stack.

/** A problem with the user's input (flags, config, files, run directory), with what to do about it. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Throws a UsageError unless `condition` holds. */
export function usageCheck(condition: unknown, message: string): asserts condition {
  if (!condition) throw new UsageError(message);
}

/** A run stopped by a signal, with what was kept; the CLI prints the message and exits with `exitCode`. */
export class Interrupted extends Error {
  override name = 'Interrupted';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
