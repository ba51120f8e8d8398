/**
 * The environments a warm edge function holds in memory, prepared once per change. A copy is served
 * as is for `refreshMs`; after that the next request checks the environment's head item (a small,
 * eventually consistent read) and fetches the document only when the version moved. So nearly every
 * invocation reads nothing from the table. If a check fails, the last good copy keeps serving
 * (marked stale) and the check is retried shortly.
 *
 * Keys resolve through their key items once; after that the environment's own key list, refreshed
 * with it, decides: a revoked key stops working within `refreshMs`.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HttpError } from '../errors';
import { prepareEnvironment, type PreparedEnvironment } from '../environments/prepared-environment';
import { isServerKey, keyLookupId } from '../secrets';
import {
  decodeDocument,
  documentKey,
  headKey,
  sdkKeyKey,
  type DocumentItem,
  type HeadItem,
  type SdkKeyItem,
  type TableKey,
} from './flag-table';
import type { Log } from '../log';

export interface EdgeEnvironmentsOptions {
  /** The table (its replica in the function's region). */
  readonly tableName: string;
  /** How long a copy is served before its version is checked again. */
  readonly refreshMs: number;
  /**
   * After a failed check, how long the last good copy serves before the next attempt.
   * @default 1000
   */
  readonly retryMs?: number;
  /**
   * Unknown keys remembered for `refreshMs` (so a stream of bad keys costs no reads); the oldest go first.
   * @default 10000
   */
  readonly maxUnknownKeys?: number;
  /**
   * The clock.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** An environment as an SDK key reaches it. */
export interface KeyedEnvironment {
  readonly env: PreparedEnvironment;
  /** True for a server-side key. */
  readonly server: boolean;
  /** True when the table could not be reached and an older copy is served. */
  readonly stale: boolean;
}

interface Held {
  readonly env: PreparedEnvironment;
  readonly version: number;
  /** Lookup ids of the keys that reach it. */
  readonly keys: ReadonlySet<string>;
  checkedAt: number;
  stale: boolean;
}

export const tableUnavailable = () => new HttpError(503, 'TABLE_UNAVAILABLE', 'The flag table is unavailable; try again shortly');

export class EdgeEnvironments {
  private readonly knownKeys = new Map<string, number>();
  /** Lookup id → when it was found to reach nothing. */
  private readonly unknownKeys = new Map<string, number>();
  private readonly held = new Map<number, Held>();
  private readonly checks = new Map<number, Promise<Held | undefined>>();
  private readonly now: () => number;

  constructor(
    private readonly table: DynamoDBDocumentClient,
    private readonly options: EdgeEnvironmentsOptions,
    private readonly log: Log,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The environment `key` reaches, or undefined when it reaches none. Throws 503 when the table is unreachable and nothing is held. */
  async forKey(key: string): Promise<KeyedEnvironment | undefined> {
    const lookupId = keyLookupId(key);
    let environmentId = this.knownKeys.get(lookupId);
    if (environmentId === undefined) {
      const since = this.unknownKeys.get(lookupId);
      if (since !== undefined && this.now() - since < this.options.refreshMs) return undefined;
      environmentId = (await this.read<SdkKeyItem>(sdkKeyKey(lookupId)).catch((error: unknown) => this.unavailable(error)))?.environmentId;
      if (environmentId === undefined) return this.unknown(lookupId);
      this.knownKeys.set(lookupId, environmentId);
      this.unknownKeys.delete(lookupId);
    }
    let held = await this.environment(environmentId);
    // A key new to the environment may be missing from an older copy: check once more, not too often.
    if (held && !held.keys.has(lookupId) && this.now() - held.checkedAt >= (this.options.retryMs ?? 1000)) {
      held = await this.environment(environmentId, true);
    }
    if (!held || !held.keys.has(lookupId)) {
      this.knownKeys.delete(lookupId);
      return this.unknown(lookupId);
    }
    return { env: held.env, server: isServerKey(key), stale: held.stale };
  }

  private unknown(lookupId: string): undefined {
    this.unknownKeys.delete(lookupId);
    this.unknownKeys.set(lookupId, this.now());
    const max = this.options.maxUnknownKeys ?? 10_000;
    // Maps iterate in insertion order: the first entries are the oldest.
    for (const oldest of this.unknownKeys.keys()) {
      if (this.unknownKeys.size <= max) break;
      this.unknownKeys.delete(oldest);
    }
    return undefined;
  }

  /** The held copy while fresh; otherwise one check (shared by concurrent requests). */
  private environment(environmentId: number, force = false): Promise<Held | undefined> | Held {
    const held = this.held.get(environmentId);
    if (held && !force && this.now() - held.checkedAt < this.options.refreshMs) return held;
    let check = this.checks.get(environmentId);
    if (!check) {
      check = this.check(environmentId, held).finally(() => this.checks.delete(environmentId));
      this.checks.set(environmentId, check);
    }
    return check;
  }

  private async check(environmentId: number, held: Held | undefined): Promise<Held | undefined> {
    try {
      if (held) {
        const head = await this.read<HeadItem>(headKey(environmentId));
        if (head?.deleted) return this.drop(environmentId);
        if (head?.version === held.version) return this.fresh(held);
      }
      const item = await this.read<DocumentItem>(documentKey(environmentId));
      const published = item && decodeDocument(item);
      if (!published) return this.drop(environmentId);
      // In a replica the head can arrive before its document: keep the copy and look again next time.
      if (held && published.version <= held.version) return this.fresh(held);
      const next: Held = {
        env: prepareEnvironment(published),
        version: published.version,
        keys: new Set(published.keys),
        checkedAt: this.now(),
        stale: false,
      };
      this.held.set(environmentId, next);
      return next;
    } catch (error) {
      if (!held) return this.unavailable(error, environmentId);
      this.log.warn({ environmentId, err: error }, 'environment check failed; serving the last good copy');
      held.stale = true;
      held.checkedAt = this.now() - this.options.refreshMs + (this.options.retryMs ?? 1000);
      return held;
    }
  }

  private fresh(held: Held): Held {
    held.checkedAt = this.now();
    held.stale = false;
    return held;
  }

  private drop(environmentId: number): undefined {
    this.held.delete(environmentId);
    return undefined;
  }

  private async read<T>(key: TableKey): Promise<T | undefined> {
    const { Item } = await this.table.send(new GetCommand({ TableName: this.options.tableName, Key: key }));
    return Item as T | undefined;
  }

  private unavailable(error: unknown, environmentId?: number): never {
    this.log.error({ environmentId, err: error }, 'flag table read failed');
    throw tableUnavailable();
  }
}
