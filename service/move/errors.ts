/** How the mover ends: its exit codes, and the failures it reports as one line without a stack trace. */
export const EXIT = {
  /** Copied (or compared) and every table matches. */
  ok: 0,
  /** The two sides differ: the verification names the tables. */
  differs: 1,
  /** Refused before writing: bad arguments, an unreachable or unsuitable end, a bad export file. */
  refused: 2,
  /** Stopped part-way (a connection lost, a write failed): running the same command again resumes. */
  failed: 3,
} as const;

/** A failure the user can act on, with the exit code it ends the mover with. */
export class MoveError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.refused,
  ) {
    super(message);
  }
}

/** An error's own words: node-postgres rejects an unreachable address with an AggregateError that has none. */
export function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && !error.message) return error.errors.map(reasonOf).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}
