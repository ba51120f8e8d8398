/**
 * Identity traits: the only data an SDK identity request reads or writes. Concurrent requests share
 * statements: reads issued in the same tick become one query (DataLoader), and writes that arrive
 * within a short window become one set-based statement, many identities at a time. A write's promise
 * resolves only after that statement has committed, so a response never reports traits that are not
 * durable.
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

// Lookups by index, one identity at a time, whatever the planner's statistics say. A plain join lets
// it pick a hash join over a full scan of traits when its statistics are missing or stale (a new
// database, a burst of new identities before autovacuum analyses): milliseconds per batch, growing
// with the table. `OFFSET 0` keeps each LATERAL subquery from being flattened back into such a join.
const IDENTITY_BY_REF = (ref: string) =>
  `SELECT id FROM identities WHERE environment_id = ${ref}.environment_id AND identifier = ${ref}.identifier OFFSET 0`;
const TRAITS_OF = (identity: string) => `SELECT key, value FROM traits WHERE traits.identity_id = ${identity}.id OFFSET 0`;

const refKey = (ref: IdentityRef): string => `${ref.environmentId}\u0000${ref.identifier}`;
const compareRefs = (a: IdentityRef, b: IdentityRef): number =>
  a.environmentId - b.environmentId || (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0);

export class TraitStore {
  private readonly reader: DataLoader<IdentityRef, Map<string, TraitValue>, string>;
  private queue: Array<{ write: TraitWrite; resolve: (traits: Map<string, TraitValue>) => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    /** How long a write waits for others to share its statement. */
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

  /** Persists trait changes; resolves, once they are committed, with all the identity's traits. */
  write(write: TraitWrite): Promise<Map<string, TraitValue>> {
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
      (traitsByRef) => batch.forEach((entry) => entry.resolve(traitsByRef.get(refKey(entry.write)) ?? new Map())),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.flushing.add(done);
    void done.finally(() => this.flushing.delete(done));
  }

  private async readMany(refs: readonly IdentityRef[]): Promise<Map<string, TraitValue>[]> {
    const rows = await this.db.query<TraitRow>(
      `SELECT w.environment_id, w.identifier, t.key, t.value
         FROM unnest($1::int[], $2::text[]) AS w(environment_id, identifier)
        CROSS JOIN LATERAL (${IDENTITY_BY_REF('w')}) i
        CROSS JOIN LATERAL (${TRAITS_OF('i')}) t`,
      [refs.map((r) => r.environmentId), refs.map((r) => r.identifier)],
    );
    const byRef = groupTraits(rows);
    return refs.map((ref) => byRef.get(refKey(ref)) ?? new Map());
  }

  /**
   * One statement, so one round trip, for the whole batch: upsert the identities, upsert and delete
   * the traits, and read every trait those identities had. All parts of a statement see the same
   * snapshot, so what it reads is the traits before the batch; the batch's own changes are laid over
   * them here.
   */
  private async writeMany(writes: readonly TraitWrite[]): Promise<Map<string, Map<string, TraitValue>>> {
    // Later writes to the same identity and key win, as if the requests had run one after another.
    const identities = new Map<string, IdentityRef>();
    const changes = new Map<string, { ref: IdentityRef; key: string; value: TraitValue | null }>();
    for (const write of writes) {
      const ref = refKey(write);
      identities.set(ref, { environmentId: write.environmentId, identifier: write.identifier });
      for (const [key, value] of write.traits) changes.set(`${ref}\u0000${key}`, { ref: identities.get(ref)!, key, value });
    }
    // Rows are locked in one global order (environment, identifier, key), so that concurrent batches
    // on other connections or instances cannot deadlock on each other.
    const refs = [...identities.values()].sort(compareRefs);
    const ordered = [...changes.values()].sort((a, b) => compareRefs(a.ref, b.ref) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rows = await this.db.query<TraitRow>(
      `WITH input AS (
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS x(environment_id, identifier, key, value)
       ), wanted AS (
         SELECT * FROM unnest($5::int[], $6::text[]) AS x(environment_id, identifier)
       ), existing AS (
         SELECT i.id, wanted.environment_id, wanted.identifier FROM wanted CROSS JOIN LATERAL (${IDENTITY_BY_REF('wanted')}) i
       ), created AS (
         -- Only identities not seen yet are inserted; DO UPDATE (not DO NOTHING) returns the row even
         -- when another transaction inserted it a moment ago, so no trait is ever dropped.
         INSERT INTO identities (environment_id, identifier)
         SELECT * FROM wanted WHERE NOT EXISTS (
           SELECT 1 FROM existing e WHERE e.environment_id = wanted.environment_id AND e.identifier = wanted.identifier)
         ON CONFLICT (environment_id, identifier) DO UPDATE SET identifier = EXCLUDED.identifier
         RETURNING id, environment_id, identifier
       ), ids AS (
         SELECT * FROM existing UNION ALL SELECT * FROM created
       ), upserted AS (
         INSERT INTO traits (identity_id, key, value)
         SELECT ids.id, input.key, input.value::jsonb FROM input JOIN ids USING (environment_id, identifier)
          WHERE input.value IS NOT NULL ORDER BY ids.id, input.key
         -- SDKs resend unchanged traits on every call; those cost no write.
         ON CONFLICT (identity_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
           WHERE traits.value IS DISTINCT FROM EXCLUDED.value
         RETURNING 1
       ), deleted AS (
         DELETE FROM traits t USING input JOIN ids USING (environment_id, identifier)
          WHERE t.identity_id = ids.id AND t.key = input.key AND input.value IS NULL
         RETURNING 1
       )
       SELECT ids.environment_id, ids.identifier, t.key, t.value FROM ids CROSS JOIN LATERAL (${TRAITS_OF('ids')}) t`,
      [
        ordered.map((c) => c.ref.environmentId),
        ordered.map((c) => c.ref.identifier),
        ordered.map((c) => c.key),
        ordered.map((c) => (c.value === null ? null : JSON.stringify(c.value))),
        refs.map((r) => r.environmentId),
        refs.map((r) => r.identifier),
      ],
    );
    const traitsByRef = groupTraits(rows);
    for (const change of ordered) {
      const ref = refKey(change.ref);
      let traits = traitsByRef.get(ref);
      if (!traits) traitsByRef.set(ref, (traits = new Map()));
      if (change.value === null) traits.delete(change.key);
      else traits.set(change.key, change.value);
    }
    return traitsByRef;
  }
}

interface TraitRow {
  environment_id: number;
  identifier: string;
  key: string;
  value: TraitValue;
}

function groupTraits(rows: readonly TraitRow[]): Map<string, Map<string, TraitValue>> {
  const byRef = new Map<string, Map<string, TraitValue>>();
  for (const row of rows) {
    const key = refKey({ environmentId: row.environment_id, identifier: row.identifier });
    let traits = byRef.get(key);
    if (!traits) byRef.set(key, (traits = new Map()));
    traits.set(row.key, row.value);
  }
  return byRef;
}
