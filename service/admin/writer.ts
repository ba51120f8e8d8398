/**
 * Every admin write goes through here: one transaction for the change and its audit-log rows, the
 * touched environments' `updated_at` bumped in that same transaction, and their in-memory copies
 * refreshed after it commits. A write that throws leaves nothing behind.
 */
import type { Database, Queryable } from '../storage/database';
import type { DatabaseHealth } from '../storage/health';
import { json } from '../storage/database';
import { changeNotice, ENVIRONMENT_CHANGES_CHANNEL } from '../storage/change-notices';

export interface AuditEntry {
  action: 'create' | 'update' | 'delete' | 'import';
  entityType: string;
  entityId?: string | number;
  /** The project whose every environment the change affects (features, segments). */
  projectId?: number;
  /** The one environment the change affects. */
  environmentId?: number;
  before?: unknown;
  after?: unknown;
}

export interface Change {
  readonly tx: Queryable;
  /** Records an audit entry and marks what it touched (a function, so operations can take it apart: `{ tx, record }`). */
  readonly record: (entry: AuditEntry) => void;
}

export interface EnvironmentRefresher {
  readonly instanceId: string;
  refreshMany(environmentIds: readonly number[]): Promise<void>;
}

export class AdminWriter {
  constructor(
    private readonly db: Database,
    private readonly environments: EnvironmentRefresher,
    private readonly health: DatabaseHealth,
    /** Told, after each commit, which environments changed (the edge publisher; it must not block). */
    private readonly afterCommit: (environmentIds: readonly number[]) => void = () => {},
  ) {}

  async write<T>(actor: string, work: (change: Change) => Promise<T>): Promise<T> {
    this.health.assertWritable();
    const { result, touched } = await this.db.transaction(async (tx) => {
      const entries: AuditEntry[] = [];
      const result = await work({ tx, record: (entry) => void entries.push(entry) });
      for (const entry of entries) {
        await tx.query(
          // clock_timestamp(), not the transaction's start: written after the change's row locks, so
          // changes to one object are stamped in the order they commit.
          `INSERT INTO audit_log (at, actor, action, entity_type, entity_id, project_id, environment_id, before, after)
           VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)`,
          [
            actor,
            entry.action,
            entry.entityType,
            entry.entityId === undefined ? null : String(entry.entityId),
            entry.projectId ?? null,
            entry.environmentId ?? null,
            json(entry.before),
            json(entry.after),
          ],
        );
      }
      // updated_at is the environment's version (the edge keeps the newest): it only ever grows, even
      // if the clock steps back.
      const touched = await tx.query<{ id: number }>(
        `UPDATE environments SET updated_at = GREATEST(clock_timestamp(), updated_at + interval '1 microsecond')
          WHERE id = ANY($1::int[]) OR project_id = ANY($2::int[]) RETURNING id`,
        [
          entries.flatMap((e) => (e.environmentId === undefined ? [] : [e.environmentId])),
          entries.flatMap((e) => (e.projectId === undefined ? [] : [e.projectId])),
        ],
      );
      // A deleted environment is no longer there to bump, but its cached copies must still go.
      const deleted = entries.filter((e) => e.action === 'delete' && e.entityType === 'environment');
      const ids = [...new Set([...touched.map((row) => row.id), ...deleted.map((e) => e.environmentId!)])];
      // Delivered to every instance's LISTEN connection when (and only if) this transaction commits.
      if (ids.length > 0) {
        await tx.query('SELECT pg_notify($1, $2)', [ENVIRONMENT_CHANGES_CHANNEL, changeNotice(this.environments.instanceId, ids)]);
      }
      return { result, touched: ids };
    });
    // This instance answers with the change applied; the others follow on the notification.
    if (touched.length > 0) {
      await this.environments.refreshMany(touched);
      this.afterCommit(touched);
    }
    return result;
  }
}
