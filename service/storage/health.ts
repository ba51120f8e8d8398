/**
 * What this instance last learned about its database. The periodic environment check is the probe;
 * a connection failure on any request marks it down at once. While it is down, writes fail fast with
 * 503 instead of waiting on a dead connection, and flag reads say they come from the last good copy.
 */
import { HttpError } from '../errors';

export class DatabaseHealth {
  private downSince: Date | undefined;
  private lastError = '';

  get up(): boolean {
    return this.downSince === undefined;
  }

  markUp(): void {
    this.downSince = undefined;
  }

  markDown(error: unknown): void {
    this.downSince ??= new Date();
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** Throws the 503 a write gets while the database is known to be unreachable. */
  assertWritable(): void {
    if (!this.up) throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'The database is unreachable; writes are refused until it returns');
  }

  report(): { database: 'up' } | { database: 'unreachable'; since: string; error: string } {
    return this.downSince ? { database: 'unreachable', since: this.downSince.toISOString(), error: this.lastError } : { database: 'up' };
  }
}
