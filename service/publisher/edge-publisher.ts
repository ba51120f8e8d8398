/**
 * Publishes environments from the control plane's database to the edge stage's flag table, which the edge
 * serves from. After every admin write the touched environments are published (in the background:
 * the admin request does not wait, and SDK requests never touch this); every few seconds each
 * instance compares the database's versions with the table's index and publishes whatever differs,
 * so a publish that failed, or an instance that died mid-publish, is made good rather than lost.
 *
 * Every write names the environment's version and replaces only an older or equal one: a slow,
 * stale publish never overwrites a newer one, and several instances may publish at once. An
 * environment is written document first, then its head, its keys and its index entry; a publish that
 * stops half-way leaves the index behind, so the next check does it again.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyLookupId } from '../secrets';
import type { Database } from '../storage/database';
import { inOneSnapshot, loadEnvironment, loadEnvironmentKeys, loadEnvironmentVersions } from '../storage/environment-documents';
import {
  documentKey,
  encodeDocument,
  EXPIRES_AT,
  headKey,
  indexEnvironmentId,
  indexKey,
  ItemTooLargeError,
  KEY_PREFIXES,
  sdkKeyKey,
  TOMBSTONE_VERSION,
  type HeadItem,
  type PublishedEnvironment,
  type SdkKeyItem,
} from '../edge/flag-table';
import type { Log } from '../log';

export interface EdgePublisherOptions {
  /** The table, in the control plane's (home) region. */
  readonly tableName: string;
  /** How often the database's versions are compared with the table's. */
  readonly checkIntervalMs: number;
  /**
   * Attempts per table call that fails with throttling or a server error, with exponential backoff
   * and jitter (on top of the AWS SDK's own quick retries).
   * @default 4
   */
  readonly maxAttempts?: number;
  /**
   * The first backoff; it doubles per attempt.
   * @default 100
   */
  readonly backoffMs?: number;
  /**
   * Environments published at once.
   * @default 4
   */
  readonly concurrency?: number;
  /**
   * How long a deleted environment's tombstones stay (their TTL).
   * @default 30 days
   */
  readonly tombstoneTtlSeconds?: number;
}

/** The outcome of one publish, for metrics. */
export type PublishOutcome = 'written' | 'unchanged' | 'deleted' | 'failed';

export interface PublisherObserver {
  published?(outcome: PublishOutcome): void;
}

// Errors worth another attempt: throttling, server errors, lost connections.
const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);
function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  return (
    RETRYABLE.has(e.name ?? '') ||
    e.$retryable !== undefined ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500 ||
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '')
  );
}

export class EdgePublisher {
  private readonly table: DynamoDBDocumentClient;
  private readonly running = new Map<number, Promise<void>>();
  /** Environments changed again while being published: published once more when that ends. */
  private readonly again = new Set<number>();
  private readonly waiting: number[] = [];
  /** Versions refused for good (too large), so the periodic check does not retry them until they change. */
  private readonly refused = new Map<number, number>();
  private checking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    client: DynamoDBClient | DynamoDBDocumentClient,
    private readonly options: EdgePublisherOptions,
    private readonly log: Log,
    private readonly observer: PublisherObserver = {},
  ) {
    this.table = client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client);
  }

  /** Checks every environment now (without delaying start-up), then every `checkIntervalMs`. */
  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** Stops the periodic check and waits for the publishes under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.idle();
  }

  /** Publishes these environments soon; returns at once. */
  schedule(environmentIds: readonly number[]): void {
    for (const environmentId of environmentIds) {
      if (this.running.has(environmentId)) this.again.add(environmentId);
      else if (!this.waiting.includes(environmentId)) this.waiting.push(environmentId);
    }
    this.drain();
  }

  /** Resolves once no check or publish is under way or waiting. */
  async idle(): Promise<void> {
    while (this.checking || this.running.size > 0 || this.waiting.length > 0) {
      await Promise.allSettled([this.checking, ...this.running.values()]);
    }
  }

  /**
   * Compares every environment's version in the database with the table's index and schedules those
   * that differ, and those the index lists but the database no longer holds (deleted).
   */
  check(): Promise<void> {
    this.checking ??= this.compareVersions()
      .catch((error: unknown) => this.log.warn({ err: error }, 'edge publish check failed; retrying at the next check'))
      .finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async compareVersions(): Promise<void> {
    const [inDatabase, inTable] = await Promise.all([loadEnvironmentVersions(this.db), this.publishedVersions()]);
    const stale: number[] = [];
    for (const { id, version } of inDatabase) {
      const published = inTable.get(id);
      if (published === version || this.refused.get(id) === version) continue;
      if (published !== undefined && published > version) {
        // Only a database restored from a backup goes back in time; the next change publishes anew.
        this.log.warn(
          { environmentId: id, published, version },
          'the edge holds a newer version than the database (restored from a backup?)',
        );
        continue;
      }
      stale.push(id);
    }
    const existing = new Set(inDatabase.map((row) => row.id));
    for (const id of inTable.keys()) if (!existing.has(id)) stale.push(id);
    this.schedule(stale);
  }

  private async publishedVersions(): Promise<Map<number, number>> {
    const versions = new Map<number, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.retrying(() =>
        this.table.send(
          new QueryCommand({
            TableName: this.options.tableName,
            KeyConditionExpression: '#pk = :index',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#version': 'version' },
            ExpressionAttributeValues: { ':index': KEY_PREFIXES.index },
            ProjectionExpression: '#sk, #version',
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) versions.set(indexEnvironmentId(item.sk as string), item.version as number);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return versions;
  }

  private drain(): void {
    const limit = this.options.concurrency ?? 4;
    while (this.running.size < limit && this.waiting.length > 0) {
      const environmentId = this.waiting.shift()!;
      const run = this.publishReporting(environmentId).finally(() => {
        this.running.delete(environmentId);
        if (this.again.delete(environmentId)) this.waiting.push(environmentId);
        this.drain();
      });
      this.running.set(environmentId, run);
    }
  }

  private async publishReporting(environmentId: number): Promise<void> {
    let outcome: PublishOutcome;
    try {
      outcome = await this.publish(environmentId);
    } catch (error) {
      outcome = 'failed';
      if (error instanceof ItemTooLargeError) this.refused.set(environmentId, error.version);
      this.log.error({ environmentId, err: error }, 'edge publish failed');
    }
    this.observer.published?.(outcome);
  }

  /** Publishes one environment as the database holds it now (or its deletion). */
  private async publish(environmentId: number): Promise<PublishOutcome> {
    const environment = await this.load(environmentId);
    if (!environment) return this.publishDeletion(environmentId);
    const { version } = environment;
    if (!(await this.putIfNotOlder(encodeDocument(environment)))) return 'unchanged';
    const head: HeadItem = { ...headKey(environmentId), version, keys: [...environment.keys] };
    const previous = await this.putIfNotOlder(head);
    if (!previous) return 'unchanged';

    const keys = new Set(environment.keys);
    for (const lookupId of keys) {
      const item: SdkKeyItem = { ...sdkKeyKey(lookupId), environmentId };
      await this.retrying(() => this.table.send(new PutCommand({ TableName: this.options.tableName, Item: item })));
    }
    for (const lookupId of previous.keys ?? []) if (!keys.has(lookupId)) await this.deleteKey(lookupId, environmentId);
    await this.putIfNotOlder({ ...indexKey(environmentId), version });
    this.refused.delete(environmentId);
    return 'written';
  }

  /** Tombstones the document and head (no late publish can revive them), deletes the keys and the index entry. */
  private async publishDeletion(environmentId: number): Promise<PublishOutcome> {
    const expiresAt = Math.floor(Date.now() / 1000) + (this.options.tombstoneTtlSeconds ?? 30 * 24 * 3600);
    const tombstone = { version: TOMBSTONE_VERSION, deleted: true, [EXPIRES_AT]: expiresAt };
    const put = (item: object, returnPrevious = false) =>
      this.retrying(() =>
        this.table.send(
          new PutCommand({ TableName: this.options.tableName, Item: item, ReturnValues: returnPrevious ? 'ALL_OLD' : 'NONE' }),
        ),
      );
    await put({ ...documentKey(environmentId), ...tombstone });
    const previous = (await put({ ...headKey(environmentId), ...tombstone }, true)).Attributes as HeadItem | undefined;
    for (const lookupId of previous?.keys ?? []) await this.deleteKey(lookupId, environmentId);
    await this.retrying(() => this.table.send(new DeleteCommand({ TableName: this.options.tableName, Key: indexKey(environmentId) })));
    return 'deleted';
  }

  private async load(environmentId: number): Promise<PublishedEnvironment | undefined> {
    return inOneSnapshot(this.db, async (tx) => {
      const loaded = await loadEnvironment(tx, environmentId);
      if (!loaded) return undefined;
      const [keys] = await loadEnvironmentKeys(tx, environmentId);
      return { ...loaded, keys: [keyLookupId(keys.client_key), ...(keys.server_key_hashes ?? [])] };
    });
  }

  /**
   * Writes an item unless the table holds a newer version of it. Resolves with the item it replaced
   * (`{}` when there was none), or undefined when the table's is newer.
   */
  private async putIfNotOlder<T extends { pk: string; sk: string; version: number }>(item: T): Promise<Partial<T> | undefined> {
    try {
      const { Attributes } = await this.retrying(() =>
        this.table.send(
          new PutCommand({
            TableName: this.options.tableName,
            Item: item,
            // Attribute names always go through placeholders: many words are reserved in expressions.
            ConditionExpression: 'attribute_not_exists(#version) OR #version <= :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': item.version },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return (Attributes as Partial<T> | undefined) ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Deletes a key's item unless it has come to reach another environment meanwhile. */
  private async deleteKey(lookupId: string, environmentId: number): Promise<void> {
    try {
      await this.retrying(() =>
        this.table.send(
          new DeleteCommand({
            TableName: this.options.tableName,
            Key: sdkKeyKey(lookupId),
            ConditionExpression: '#environmentId = :environmentId',
            ExpressionAttributeNames: { '#environmentId': 'environmentId' },
            ExpressionAttributeValues: { ':environmentId': environmentId },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Runs a table call, retrying throttling and server errors with exponential backoff and jitter. */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    const attempts = this.options.maxAttempts ?? 4;
    const base = this.options.backoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts || !isRetryable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, base * 2 ** (attempt - 1) * (0.5 + Math.random())));
      }
    }
  }
}
