/**
 * What this instance's database says of a move between stages (service/move/live.ts), as the HTTP
 * layer needs it on every write: a source that has moved refuses writes, naming the service the data
 * moved to; a target that is still a replica forwards writes to the source's service, which stays the
 * one place writes land until the cut-over.
 *
 * Each instance reads its role again on every change notice (the mover sends one with each change of
 * role, on the channel instances already listen on: connections are what the stages run short of),
 * periodically in case one was missed, and at once when a forwarded write comes back saying the source
 * has moved. Until a source's instances have read that they moved, its database refuses their writes
 * all the same.
 */
import type { Database, Queryable } from './database';

export type MoveRole =
  /** Takes writes itself. */
  | { readonly kind: 'primary' }
  /** A target still catching up: writes go to the source's service at `source`. */
  | { readonly kind: 'replica'; readonly source: string }
  /** A source whose data has moved: writes are refused, naming the service at `movedTo`. */
  | { readonly kind: 'moved'; readonly movedTo: string };

const PRIMARY: MoveRole = { kind: 'primary' };

/** This database's role, from its newest move. */
export async function readMoveRole(db: Queryable): Promise<MoveRole> {
  const [move] = await db.query<{ role: string; state: string; endpoint: string | null }>(
    `SELECT role, state, endpoint FROM moves ORDER BY id DESC LIMIT 1`,
  );
  if (move?.role === 'target' && move.state === 'replica' && move.endpoint) return { kind: 'replica', source: move.endpoint };
  if (move?.role === 'source' && move.state === 'moved' && move.endpoint) return { kind: 'moved', movedTo: move.endpoint };
  return PRIMARY;
}

/** The role as this process last read it. */
export class MoveRoleWatch {
  private current: MoveRole = PRIMARY;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database) {}

  get role(): MoveRole {
    return this.current;
  }

  async start(checkIntervalMs: number): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch(() => undefined), checkIntervalMs);
    this.timer.unref();
  }

  /** Reads the role again (on a notice, periodically, or when a forwarded write says the source has moved). */
  async reload(): Promise<MoveRole> {
    this.current = await readMoveRole(this.db);
    return this.current;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
