/**
 * What this instance last learned about its database. The periodic environment check is the probe;
 * a connection failure on any request marks it down at once. While it is down, writes fail fast with
 * 503 instead of waiting on a dead connection, and flag reads say they come from the last good copy.
 */
import { HttpError } from '../errors';

export class DatabaseHealth {
  private downSince: Date | undefined;

  get up(): boolean {
    return this.downSince === undefined;
  }

  markUp(): void {
    this.downSince = undefined;
  }

  markDown(): void {
    this.downSince ??= new Date();
  }

  /** Throws the 503 a write gets while the database is known to be unreachable. */
  assertWritable(): void {
    if (!this.up) throw new HttpError(503, 'DATABASE_UNAVAILABLE', 'The database is unreachable; writes are refused until it returns');
  }

  /** For /ready, which anyone may call: the driver's error (with the database's address) goes to the log only. */
  report(): { database: 'up' } | { database: 'unreachable'; since: string } {
    return this.downSince ? { database: 'unreachable', since: this.downSince.toISOString() } : { database: 'up' };
  }
}
