/**
 * Identity traits: the only data an SDK identity request reads or writes. Concurrent requests share
 * statements: reads issued in the same tick become one query (DataLoader), and writes that arrive
 * within a short window become one set-based statement, many identities at a time. A write's promise
 * resolves only after that statement has committed, so a response never reports traits that are not
 * durable.
 *
 * Sharing a statement must not mean sharing a failure: when one row's data fails the statement (a
 * value PostgreSQL refuses, an identity whose environment was just deleted), the batch is written again
 * in halves until the failing writes stand alone, and only they fail. An identity whose traits would
 * exceed the bounds is left as it was and its writer alone gets a 400.
 */
import DataLoader from 'dataloader';
import { HttpError } from '../errors';
import type { TraitValue } from '../schemas/environment-document';
import { json, type Database } from './database';
import { isDataError } from './failures';
import type { DatabaseHealth } from './health';

/** What one identity may hold. */
export interface IdentityBounds {
  /** Most traits. */
  readonly maxTraits: number;
  /** Most bytes of the traits' JSON text, as stored. */
  readonly maxBytes: number;
}

/**
 * The size the bound counts: the traits' JSON as PostgreSQL writes jsonb out (`octet_length(traits::text)`),
 * which puts a space after every colon and comma; the edge, which keeps traits elsewhere, counts the same.
 */
export function traitsJsonBytes(traits: ReadonlyMap<string, TraitValue>): number {
  return traits.size === 0 ? 2 : Buffer.byteLength(JSON.stringify(Object.fromEntries(traits))) + 2 * traits.size - 1;
}

/**
 * What the SDK caller of a write whose row the database refused is told: nothing of the driver's
 * message (which names tables and ids). An identity whose environment went away in between is a 404.
 */
function rowRefused(error: { code?: string }): HttpError {
  return error.code === '23503'
    ? new HttpError(404, 'NOT_FOUND', 'Environment not found')
    : new HttpError(400, 'TRAITS_NOT_STORED', 'The database refused these traits; nothing was stored');
}

/** The 400 for traits past a bound, naming it (the service's and the edge's answer alike). */
export function boundsExceeded(identifier: string, count: number, bytes: number, bounds: IdentityBounds): HttpError {
  const over =
    count > bounds.maxTraits
      ? `${count} traits; at most ${bounds.maxTraits} are allowed per identity`
      : `${bytes} bytes of traits; at most ${bounds.maxBytes} are allowed per identity`;
  return new HttpError(400, 'TRAIT_LIMIT_EXCEEDED', `Identity ${JSON.stringify(identifier)} would hold ${over}; nothing was stored`);
}

export interface IdentityRef {
  environmentId: number;
  identifier: string;
}

/**
 * Where identities' traits are kept: PostgreSQL or PGlite on the service (TraitStore), the flag
 * table at the edge (EdgeTraitStore). The SDK answers read and write through this alone.
 */
export interface IdentityTraitStore {
  /** The identity's stored traits (empty for one never seen), or undefined when the store is unreachable. */
  read(ref: IdentityRef): Promise<ReadonlyMap<string, TraitValue> | undefined>;
  /**
   * Sets traits (`null` deletes one) and resolves, once they are durable, with all the identity's
   * traits; throws an HttpError (400 past a bound, 503 when the store cannot take writes).
   */
  write(ref: IdentityRef, changes: ReadonlyMap<string, TraitValue | null>): Promise<ReadonlyMap<string, TraitValue>>;
}

/** Trait changes for one identity: a value sets the trait, `null` deletes it. */
export interface TraitWrite extends IdentityRef {
  traits: ReadonlyMap<string, TraitValue | null>;
}

const refKey = (ref: IdentityRef): string => `${ref.environmentId}\u0000${ref.identifier}`;

interface QueuedWrite {
  readonly write: TraitWrite;
  /** refKey(write), worked out once. */
  readonly ref: string;
  resolve(traits: Map<string, TraitValue>): void;
  reject(error: unknown): void;
}

export interface TraitStoreOptions {
  /** How long a write waits for others to share its statement. */
  readonly batchWindowMs: number;
  /** What one identity may hold (shared-settings.ts reads it from the settings). */
  readonly bounds: IdentityBounds;
  /**
   * A batch this large is written at once, without waiting out the window.
   * @default 500
   */
  readonly maxBatch?: number;
  /**
   * What the process knows of the database: while it is down, reads answer `undefined` (flags then
   * come from the traits a request sent) and writes fail with 503 at once.
   * @default always up
   */
  readonly health?: Pick<DatabaseHealth, 'up' | 'assertWritable'>;
}

export class TraitStore implements IdentityTraitStore {
  private readonly reader: DataLoader<IdentityRef, Map<string, TraitValue>, string>;
  private queue: QueuedWrite[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();
  /** For each identity with a batch not yet settled, the last such batch: the next one waits for it. */
  private readonly lastBatch = new Map<string, Promise<void>>();
  readonly bounds: IdentityBounds;
  private readonly batchWindowMs: number;
  private readonly maxBatch: number;
  private readonly health: TraitStoreOptions['health'];

  constructor(
    private readonly db: Database,
    options: TraitStoreOptions,
  ) {
    this.bounds = options.bounds;
    this.batchWindowMs = options.batchWindowMs;
    this.maxBatch = options.maxBatch ?? 500;
    this.health = options.health;
    this.reader = new DataLoader((refs) => this.readMany(refs), { cacheKeyFn: refKey, cache: false, maxBatchSize: 1000 });
  }

  /** The stored traits of an identity (empty for one never seen); undefined while the database is known to be down. */
  async read(ref: IdentityRef): Promise<Map<string, TraitValue> | undefined> {
    if (this.health && !this.health.up) return undefined;
    return this.reader.load(ref);
  }

  /**
   * Persists trait changes (`null` deletes one); resolves, once they are committed, with all the
   * identity's traits. Rejects with a 400 when the identity's traits would exceed the bounds (nothing
   * is stored then), and with a 503 at once while the database is known to be down.
   */
  write(ref: IdentityRef, changes: ReadonlyMap<string, TraitValue | null>): Promise<Map<string, TraitValue>> {
    this.health?.assertWritable();
    const write = { environmentId: ref.environmentId, identifier: ref.identifier, traits: changes };
    return new Promise((resolve, reject) => {
      this.queue.push({ write, ref: refKey(write), resolve, reject });
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
    // Writes to one identity land in the order they arrived: those whose identity an earlier batch is
    // still writing wait for it (its statement, or the halves it is written again in after a bad row);
    // the rest are written at once.
    const waiting = batch.filter((entry) => this.lastBatch.has(entry.ref));
    const ready = waiting.length === 0 ? batch : batch.filter((entry) => !this.lastBatch.has(entry.ref));
    if (ready.length > 0) this.track(ready, this.writeIsolated(ready));
    if (waiting.length > 0) {
      const earlier = new Set(waiting.map((entry) => this.lastBatch.get(entry.ref)!));
      this.track(
        waiting,
        Promise.all(earlier).then(() => this.writeIsolated(waiting)),
      );
    }
  }

  /** Records a batch in flight (it never rejects: every failure settles its writes). */
  private track(entries: readonly QueuedWrite[], done: Promise<void>): void {
    this.flushing.add(done);
    for (const { ref } of entries) this.lastBatch.set(ref, done);
    void done.finally(() => {
      this.flushing.delete(done);
      for (const { ref } of entries) if (this.lastBatch.get(ref) === done) this.lastBatch.delete(ref);
    });
  }

  /**
   * Writes the entries in one statement and settles each. When one row's data fails the statement,
   * writes the halves one after the other (so later writes to an identity still land last) until the
   * failing entries stand alone; any other failure (the database unreachable, say) fails them all.
   */
  private async writeIsolated(entries: readonly QueuedWrite[]): Promise<void> {
    let written: Map<string, WrittenTraits>;
    try {
      written = await this.writeMany(entries);
    } catch (error) {
      if (!isDataError(error as { code?: string })) {
        for (const entry of entries) entry.reject(error);
      } else if (entries.length === 1) {
        entries[0].reject(rowRefused(error as { code?: string }));
      } else {
        const half = Math.ceil(entries.length / 2);
        await this.writeIsolated(entries.slice(0, half));
        await this.writeIsolated(entries.slice(half));
      }
      return;
    }
    const alone: QueuedWrite[] = [];
    for (const entry of entries) {
      const result = written.get(entry.ref);
      if (!result) entry.resolve(new Map());
      else if (!result.refused) entry.resolve(result.traits);
      // Several writes to the identity, merged, were too much: one of them alone may fit.
      else if (entries.some((other) => other !== entry && other.ref === entry.ref)) alone.push(entry);
      else entry.reject(boundsExceeded(entry.write.identifier, result.count, result.bytes, this.bounds));
    }
    for (const entry of alone) await this.writeIsolated([entry]);
  }

  private async readMany(refs: readonly IdentityRef[]): Promise<Map<string, TraitValue>[]> {
    // The statements are PL/pgSQL functions (migration 3), whose plans each connection keeps.
    const rows = await this.db.query<IdentityTraitsRow>('SELECT * FROM flagstack_read_identity_traits($1::int[], $2::text[])', [
      refs.map((r) => r.environmentId),
      refs.map((r) => r.identifier),
    ]);
    const byRef = new Map(
      rows.map((row) => [refKey({ environmentId: row.environment_id, identifier: row.identifier }), traitsInKeyOrder(row.traits)]),
    );
    return refs.map((ref) => byRef.get(refKey(ref)) ?? new Map());
  }

  /**
   * One statement, so one round trip, for the whole batch (flagstack_write_bounded_identity_traits,
   * migration 4): each identity's changes as one patch, upserted onto its row within the bounds; it
   * returns every identity's traits after the batch, and which were refused.
   */
  private async writeMany(entries: readonly QueuedWrite[]): Promise<Map<string, WrittenTraits>> {
    // Later writes to the same identity and key win, as if the requests had run one after another.
    const patches = new Map<string, { write: TraitWrite; patch: Record<string, TraitValue | null> }>();
    for (const { write, ref } of entries) {
      let entry = patches.get(ref);
      // No prototype, so that a trait named __proto__ is a trait like any other.
      if (!entry) patches.set(ref, (entry = { write, patch: Object.create(null) as Record<string, TraitValue | null> }));
      for (const [key, value] of write.traits) entry.patch[key] = value;
    }
    const batch = [...patches];
    const rows = await this.db.query<IdentityTraitsRow & { refused: boolean; trait_count: number | null; trait_bytes: number | null }>(
      'SELECT * FROM flagstack_write_bounded_identity_traits($1::int[], $2::text[], $3::jsonb[], $4::int, $5::int)',
      [
        batch.map(([, { write }]) => write.environmentId),
        batch.map(([, { write }]) => write.identifier),
        batch.map(([, { patch }]) => json(patch)),
        this.bounds.maxTraits,
        this.bounds.maxBytes,
      ],
    );
    return new Map(
      rows.map((row) => [
        refKey({ environmentId: row.environment_id, identifier: row.identifier }),
        { traits: traitsInKeyOrder(row.traits), refused: row.refused, count: row.trait_count ?? 0, bytes: row.trait_bytes ?? 0 },
      ]),
    );
  }
}

interface WrittenTraits {
  readonly traits: Map<string, TraitValue>;
  readonly refused: boolean;
  /** For a refused identity: how many traits, and how many bytes, it would have held. */
  readonly count: number;
  readonly bytes: number;
}

interface IdentityTraitsRow {
  environment_id: number;
  identifier: string;
  traits: Record<string, TraitValue>;
}

const byKey = ([a]: [string, TraitValue], [b]: [string, TraitValue]) => (a < b ? -1 : a > b ? 1 : 0);

/** An identity's traits in key order (jsonb keeps its own order), as the edge answers them too. */
const traitsInKeyOrder = (traits: Record<string, TraitValue>): Map<string, TraitValue> => new Map(Object.entries(traits).sort(byKey));
