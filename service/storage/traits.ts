/**
 * Identity traits: the only data an SDK identity request reads or writes. Concurrent requests share
 * statements: reads issued in the same tick become one query (DataLoader), and writes that arrive
 * within a short window become one transaction of set-based statements, many identities at a time.
 * A write's promise resolves only after its transaction has committed, so a response never reports
 * traits that are not durable.
 */
import DataLoader from 'dataloader';
import type { TraitValue } from '../schemas/environment-document';
import type { Database } from './database';

export interface IdentityRef {
  environmentId: number;
  identifier: string;
}

/** Trait changes for one identity: a value sets the trait, `null` deletes it. */
export interface TraitWrite extends IdentityRef {
  traits: ReadonlyMap<string, TraitValue | null>;
}

const refKey = (ref: IdentityRef): string => `${ref.environmentId}\u0000${ref.identifier}`;
const compareRefs = (a: IdentityRef, b: IdentityRef): number =>
  a.environmentId - b.environmentId || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0);

export class TraitStore {
  private readonly reader: DataLoader<IdentityRef, Map<string, TraitValue>, string>;
  private queue: Array<{ write: TraitWrite; resolve: () => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    /** How long a write waits for others to share its transaction. */
    private readonly batchWindowMs: number,
    /** A batch this large is written at once, without waiting out the window. */
    private readonly maxBatch = 500,
  ) {
    this.reader = new DataLoader((refs) => this.readMany(refs), { cacheKeyFn: refKey, cache: false, maxBatchSize: 1000 });
  }

  /** The stored traits of an identity (empty for one never seen). */
  read(ref: IdentityRef): Promise<Map<string, TraitValue>> {
    return this.reader.load(ref);
  }

  /** Persists trait changes; resolves once they are committed. */
  write(write: TraitWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.batchWindowMs);
    });
  }

  /** Number of trait writes waiting for their batch. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued and waits for every batch in flight (used at shutdown). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.flushing]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const done = this.writeMany(batch.map((entry) => entry.write)).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.flushing.add(done);
    void done.finally(() => this.flushing.delete(done));
  }

  private async readMany(refs: readonly IdentityRef[]): Promise<Map<string, TraitValue>[]> {
    const rows = await this.db.query<{ environment_id: number; identifier: string; key: string; value: TraitValue }>(
      `SELECT i.environment_id, i.identifier, t.key, t.value
         FROM identities i JOIN traits t ON t.identity_id = i.id
        WHERE (i.environment_id, i.identifier) IN (SELECT * FROM unnest($1::int[], $2::text[]))`,
      [refs.map((r) => r.environmentId), refs.map((r) => r.identifier)],
    );
    const byRef = new Map<string, Map<string, TraitValue>>();
    for (const row of rows) {
      const key = refKey({ environmentId: row.environment_id, identifier: row.identifier });
      let traits = byRef.get(key);
      if (!traits) byRef.set(key, (traits = new Map()));
      traits.set(row.key, row.value);
    }
    return refs.map((ref) => byRef.get(refKey(ref)) ?? new Map());
  }

  private async writeMany(writes: readonly TraitWrite[]): Promise<void> {
    // Later writes to the same identity and key win, as if the requests had run one after another.
    const identities = new Map<string, IdentityRef>();
    const changes = new Map<string, { ref: string; key: string; value: TraitValue | null }>();
    for (const write of writes) {
      const ref = refKey(write);
      identities.set(ref, { environmentId: write.environmentId, identifier: write.identifier });
      for (const [key, value] of write.traits) changes.set(`${ref}\u0000${key}`, { ref, key, value });
    }
    // Rows are locked in one global order (environment, identifier, key), so that concurrent batches
    // on other connections or instances cannot deadlock on each other.
    const refs = [...identities.values()].sort(compareRefs);
    const ordered = [...changes.values()].sort((x, y) => (x.ref < y.ref ? -1 : x.ref > y.ref ? 1 : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ id: number; environment_id: number; identifier: string }>(
        `INSERT INTO identities (environment_id, identifier)
         SELECT * FROM unnest($1::int[], $2::text[])
         ON CONFLICT (environment_id, identifier) DO UPDATE SET identifier = EXCLUDED.identifier
         RETURNING id, environment_id, identifier`,
        [refs.map((r) => r.environmentId), refs.map((r) => r.identifier)],
      );
      const identityIds = new Map(rows.map((row) => [refKey({ environmentId: row.environment_id, identifier: row.identifier }), row.id]));
      const sets = ordered.filter((c) => c.value !== null);
      const deletes = ordered.filter((c) => c.value === null);
      if (sets.length > 0) {
        await tx.query(
          `INSERT INTO traits (identity_id, key, value)
           SELECT identity_id, key, value::jsonb FROM unnest($1::int[], $2::text[], $3::text[]) AS x(identity_id, key, value)
           ON CONFLICT (identity_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
          [sets.map((c) => identityIds.get(c.ref)), sets.map((c) => c.key), sets.map((c) => JSON.stringify(c.value))],
        );
      }
      if (deletes.length > 0) {
        await tx.query(
          `DELETE FROM traits t USING unnest($1::int[], $2::text[]) AS x(identity_id, key)
            WHERE t.identity_id = x.identity_id AND t.key = x.key`,
          [deletes.map((c) => identityIds.get(c.ref)), deletes.map((c) => c.key)],
        );
      }
    });
  }
}
