/**
 * Identity traits: the only data an SDK identity request reads or writes. Concurrent requests share
 * statements: reads issued in the same tick become one query (DataLoader), and writes that arrive
 * within a short window become one set-based statement, many identities at a time. A write's promise
 * resolves only after that statement has committed, so a response never reports traits that are not
 * durable.
 */
import DataLoader from 'dataloader';
import type { TraitValue } from '../schemas/environment-document';
import { json, type Database } from './database';

export interface IdentityRef {
  environmentId: number;
  identifier: string;
}

/** Trait changes for one identity: a value sets the trait, `null` deletes it. */
export interface TraitWrite extends IdentityRef {
  traits: ReadonlyMap<string, TraitValue | null>;
}

const refKey = (ref: IdentityRef): string => `${ref.environmentId}\u0000${ref.identifier}`;

export class TraitStore {
  private readonly reader: DataLoader<IdentityRef, Map<string, TraitValue>, string>;
  private queue: Array<{ write: TraitWrite; resolve: (traits: Map<string, TraitValue>) => void; reject: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();
  /** Identities with a write in a batch not yet committed, and how many such batches each is in. */
  private readonly inFlight = new Map<string, number>();

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
    const refs = batch.map((entry) => refKey(entry.write));
    // An identity an earlier batch is still writing must not have its unchanged traits skipped: this
    // batch's snapshot may not hold that batch's changes yet (see flagstack_write_identity_traits).
    const contended = new Set(refs.filter((ref) => this.inFlight.has(ref)));
    for (const ref of refs) this.inFlight.set(ref, (this.inFlight.get(ref) ?? 0) + 1);
    const done = this.writeMany(
      batch.map((entry) => entry.write),
      refs,
      contended,
    ).then(
      (traitsByRef) => batch.forEach((entry, i) => entry.resolve(traitsByRef.get(refs[i]) ?? new Map())),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.flushing.add(done);
    void done.finally(() => {
      this.flushing.delete(done);
      for (const ref of refs) {
        const left = this.inFlight.get(ref)! - 1;
        if (left === 0) this.inFlight.delete(ref);
        else this.inFlight.set(ref, left);
      }
    });
  }

  private async readMany(refs: readonly IdentityRef[]): Promise<Map<string, TraitValue>[]> {
    // The statements are PL/pgSQL functions (migration 3), whose plans each connection keeps.
    const rows = await this.db.query<IdentityTraitsRow>('SELECT * FROM flagstack_read_identity_traits($1::int[], $2::text[])', [
      refs.map((r) => r.environmentId),
      refs.map((r) => r.identifier),
    ]);
    const byRef = traitsByRef(rows);
    return refs.map((ref) => byRef.get(refKey(ref)) ?? new Map());
  }

  /**
   * One statement, so one round trip, for the whole batch (flagstack_write_identity_traits): each
   * identity's changes as one patch, upserted onto its row; it returns every identity's traits after
   * the batch.
   */
  private async writeMany(
    writes: readonly TraitWrite[],
    /** Each write's refKey, as flush() worked it out. */
    refs: readonly string[],
    contended: ReadonlySet<string>,
  ): Promise<Map<string, Map<string, TraitValue>>> {
    // Later writes to the same identity and key win, as if the requests had run one after another.
    const patches = new Map<string, { write: TraitWrite; patch: Record<string, TraitValue | null> }>();
    for (const [i, write] of writes.entries()) {
      let entry = patches.get(refs[i]);
      // No prototype, so that a trait named __proto__ is a trait like any other.
      if (!entry) patches.set(refs[i], (entry = { write, patch: Object.create(null) as Record<string, TraitValue | null> }));
      for (const [key, value] of write.traits) entry.patch[key] = value;
    }
    const batch = [...patches];
    const rows = await this.db.query<IdentityTraitsRow>(
      'SELECT * FROM flagstack_write_identity_traits($1::int[], $2::text[], $3::jsonb[], $4::boolean[])',
      [
        batch.map(([, { write }]) => write.environmentId),
        batch.map(([, { write }]) => write.identifier),
        batch.map(([, { patch }]) => json(patch)),
        batch.map(([ref]) => contended.has(ref)),
      ],
    );
    return traitsByRef(rows);
  }
}

interface IdentityTraitsRow {
  environment_id: number;
  identifier: string;
  traits: Record<string, TraitValue>;
}

const byKey = ([a]: [string, TraitValue], [b]: [string, TraitValue]) => (a < b ? -1 : a > b ? 1 : 0);

/** Each identity's traits in key order (jsonb keeps its own order), as the edge answers them too. */
function traitsByRef(rows: readonly IdentityTraitsRow[]): Map<string, Map<string, TraitValue>> {
  return new Map(
    rows.map((row) => [refKey({ environmentId: row.environment_id, identifier: row.identifier }), new Map(Object.entries(row.traits).sort(byKey))]),
  );
}
