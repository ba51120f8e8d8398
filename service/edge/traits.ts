/**
 * Identities' traits at the edge, in the flag table: one item per identity, one attribute per trait
 * (its value as JSON, so strings, numbers and booleans keep their types and any number fits). In
 * the edge stage, the edge is authoritative for the traits SDKs write; the control plane's database keeps
 * those written through the admin API (docs/deploy.md, the edge stage).
 *
 * Reads are strongly consistent within the region, so a request sees the traits the previous one
 * wrote there. SDKs resend unchanged traits on every call: a write whose changes are all in place
 * already costs one read and no write (unless the item's expiry is due for renewal).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HttpError } from '../errors';
import type { TraitValue } from '../schemas/environment-document';
import { boundsExceeded, traitsJsonBytes, type IdentityBounds, type IdentityRef, type IdentityTraitStore } from '../storage/traits';
import { tableUnavailable } from './environments';
import { EXPIRES_AT, TRAIT_PREFIX, traitsKey } from './flag-table';
import type { Log } from '../log';

export interface EdgeTraitStoreOptions {
  /** The table (its replica in the function's region). */
  readonly tableName: string;
  /**
   * Days an identity's traits are kept after its last write (the table's TTL removes them); 0 keeps them.
   * @default 0
   */
  readonly ttlDays?: number;
  /** What one identity may hold: the service's bounds, from the same settings. */
  readonly bounds: IdentityBounds;
  /**
   * The clock.
   * @default Date.now
   */
  readonly now?: () => number;
}

type Item = Record<string, unknown>;

/** Another write changed the item between this one's read and its update. */
const RACED = Symbol('raced');

export class EdgeTraitStore implements IdentityTraitStore {
  private readonly now: () => number;

  constructor(
    private readonly table: DynamoDBDocumentClient,
    private readonly options: EdgeTraitStoreOptions,
    private readonly log: Log,
  ) {
    this.now = options.now ?? Date.now;
  }

  async read(ref: IdentityRef): Promise<ReadonlyMap<string, TraitValue>> {
    return this.traitsOf(await this.get(ref));
  }

  /**
   * The bound is checked on the item as read, and the update applies only to that item (its updatedAt
   * unchanged, or still absent): a write that raced another is read and checked again.
   */
  async write(ref: IdentityRef, changes: ReadonlyMap<string, TraitValue | null>): Promise<ReadonlyMap<string, TraitValue>> {
    // The key hashes the identifier: worked out once for the reads and the updates.
    const key = traitsKey(ref.environmentId, ref.identifier);
    for (let attempt = 1; ; attempt++) {
      const written = await this.writeOnce(ref, key, changes);
      if (written !== RACED) return written;
      if (attempt === 3) throw new HttpError(503, 'BUSY', 'This identity is being changed by other requests; try again');
    }
  }

  private async writeOnce(
    ref: IdentityRef,
    key: ReturnType<typeof traitsKey>,
    changes: ReadonlyMap<string, TraitValue | null>,
  ): Promise<ReadonlyMap<string, TraitValue> | typeof RACED> {
    const item = await this.get(ref, key);
    const stored = this.traitsOf(item);
    const inPlace = [...changes].every(([key, value]) => (value === null ? !stored.has(key) : stored.get(key) === value));
    if (inPlace && !this.renewalDue(item)) return stored;
    const after = new Map(stored);
    for (const [key, value] of changes) {
      if (value === null) after.delete(key);
      else after.set(key, value);
    }
    const bounds = this.options.bounds;
    const bytes = traitsJsonBytes(after);
    const within = after.size <= bounds.maxTraits && bytes <= bounds.maxBytes;
    // An identity past bounds that were lowered may still shrink, as on the service.
    const shrinks = after.size <= stored.size && bytes <= traitsJsonBytes(stored);
    if (!within && !shrinks) throw boundsExceeded(ref.identifier, after.size, bytes, bounds);

    const names: Record<string, string> = { '#identifier': 'identifier', '#environmentId': 'environmentId', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = {
      ':identifier': ref.identifier,
      ':environmentId': ref.environmentId,
      ':updatedAt': new Date(this.now()).toISOString(),
    };
    const seen = item?.updatedAt;
    if (seen !== undefined) values[':seen'] = seen;
    const set = ['#identifier = :identifier', '#environmentId = :environmentId', '#updatedAt = :updatedAt'];
    const remove: string[] = [];
    // Short placeholders: an update expression may not exceed 4 KB, and a request carries up to 200 traits.
    let n = 0;
    for (const [key, value] of changes) {
      const name = `#t${n++}`;
      names[name] = TRAIT_PREFIX + key;
      if (value === null) remove.push(name);
      else {
        values[`:${name.slice(1)}`] = JSON.stringify(value);
        set.push(`${name} = :${name.slice(1)}`);
      }
    }
    // Expired traits are gone, even where the TTL has not removed them yet.
    if (item && this.expired(item)) {
      for (const attribute of Object.keys(item)) {
        if (attribute.startsWith(TRAIT_PREFIX) && !changes.has(attribute.slice(TRAIT_PREFIX.length))) {
          const name = `#t${n++}`;
          names[name] = attribute;
          remove.push(name);
        }
      }
    }
    const ttlDays = this.options.ttlDays ?? 0;
    if (ttlDays > 0) {
      names['#expiresAt'] = EXPIRES_AT;
      values[':expiresAt'] = Math.floor(this.now() / 1000) + ttlDays * 86_400;
      set.push('#expiresAt = :expiresAt');
    }
    try {
      const { Attributes } = await this.table.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key,
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: seen === undefined ? 'attribute_not_exists(pk)' : '#updatedAt = :seen',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.traitsOf(Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return RACED;
      this.log.error({ environmentId: ref.environmentId, err: error }, 'trait write failed');
      throw tableUnavailable();
    }
  }

  private async get(ref: IdentityRef, key = traitsKey(ref.environmentId, ref.identifier)): Promise<Item | undefined> {
    try {
      const { Item } = await this.table.send(new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
      return Item;
    } catch (error) {
      this.log.error({ environmentId: ref.environmentId, err: error }, 'trait read failed');
      throw tableUnavailable();
    }
  }

  private traitsOf(item: Item | undefined): Map<string, TraitValue> {
    const traits = new Map<string, TraitValue>();
    if (!item || this.expired(item)) return traits;
    // By key: the table keeps no order, and the service answers a fresh write in key order too.
    const attributes = Object.keys(item)
      .filter((attribute) => attribute.startsWith(TRAIT_PREFIX))
      .sort();
    for (const attribute of attributes)
      traits.set(attribute.slice(TRAIT_PREFIX.length), JSON.parse(item[attribute] as string) as TraitValue);
    return traits;
  }

  private expired(item: Item): boolean {
    const expiresAt = item[EXPIRES_AT];
    return typeof expiresAt === 'number' && expiresAt * 1000 <= this.now();
  }

  /** With a TTL, a write within the last half of it renews the expiry even when nothing changed. */
  private renewalDue(item: Item | undefined): boolean {
    const ttlDays = this.options.ttlDays ?? 0;
    if (ttlDays === 0 || !item) return false;
    const expiresAt = item[EXPIRES_AT];
    return typeof expiresAt !== 'number' || expiresAt * 1000 - this.now() < (ttlDays * 86_400_000) / 2;
  }
}
