/**
 * The in-memory, pre-compiled copy of every environment that SDK requests are served from. A flag
 * read never queries the database: keys resolve from an in-memory index, the environment is compiled
 * once per change, and the identity-less responses are serialised once per change.
 */
import { randomUUID } from 'node:crypto';
import { ENVIRONMENT_CHANGES_CHANNEL, readChangeNotice } from '../storage/change-notices';
import type { Database } from '../storage/database';
import { inOneSnapshot, loadEnvironment, loadEnvironmentKeys, loadEnvironmentVersions } from '../storage/environment-documents';
import { prepareEnvironment, type PreparedEnvironment } from './prepared-environment';
import { keyLookupId, type ResolvedKey } from '../secrets';

/** Hooks for metrics. */
export interface CacheObserver {
  lookup?(hit: boolean): void;
  reload?(outcome: 'ok' | 'failed'): void;
}

export class EnvironmentCache {
  private keys = new Map<string, ResolvedKey>();
  private readonly environments = new Map<number, PreparedEnvironment>();
  private readonly loading = new Map<number, Promise<PreparedEnvironment | undefined>>();
  private lastGeneration = 0;
  /** The number of the build whose result each environment holds. */
  private readonly landedGenerations = new Map<number, number>();

  /** Names this instance in its change notices, so that it does not recompile on its own. */
  readonly instanceId = randomUUID();

  constructor(
    private readonly db: Database,
    private readonly observer: CacheObserver = {},
  ) {}

  private stopSync: (() => Promise<void>) | undefined;
  private syncTimer: NodeJS.Timeout | undefined;

  /** Loads the key index; environments load on first use. */
  async start(): Promise<void> {
    await this.reloadKeys();
  }

  /**
   * Keeps this instance in step with the others on the same database: a NOTIFY from any instance's
   * admin write refreshes the named environments at once, and a periodic version check catches any
   * notification that was missed (a dropped LISTEN connection, say).
   */
  async startSync(checkIntervalMs: number, onError: (error: unknown) => void, onNotice: () => void = () => {}): Promise<void> {
    const guarded = (work: Promise<unknown>) => void work.catch(onError);
    this.stopSync = await this.db.listen(
      ENVIRONMENT_CHANGES_CHANNEL,
      (payload) => {
        const { from, environmentIds } = readChangeNotice(payload);
        onNotice();
        // The announcing instance refreshed these before answering its admin request.
        if (from !== this.instanceId) guarded(this.refreshMany(environmentIds));
      },
      () => guarded(this.checkVersions()),
    );
    this.syncTimer = setInterval(() => guarded(this.checkVersions()), checkIntervalMs);
    this.syncTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.syncTimer);
    await this.stopSync?.();
  }

  /** Refreshes every held environment whose version moved, and the key index. */
  async checkVersions(): Promise<void> {
    const current = new Map((await loadEnvironmentVersions(this.db)).map((row) => [row.id, row.version]));
    const moved: number[] = [];
    for (const [environmentId, cached] of this.environments) {
      const version = current.get(environmentId);
      if (version === undefined) this.environments.delete(environmentId);
      else if (version !== cached.version) moved.push(environmentId);
    }
    await this.refreshMany(moved);
  }

  /** Resolves an SDK key from memory: a client key as is, a server key by its hash. */
  resolveKey(key: string): ResolvedKey | undefined {
    return this.keys.get(keyLookupId(key));
  }

  /** The environment, from memory, loading it once if this instance has not yet. */
  get(environmentId: number): PreparedEnvironment | Promise<PreparedEnvironment | undefined> {
    const cached = this.environments.get(environmentId);
    this.observer.lookup?.(cached !== undefined);
    return cached ?? this.load(environmentId);
  }

  /**
   * Re-reads the key index and these environments after a change. When it returns, the copies served
   * are at least as new as the database was when it was called. The old copies keep serving until
   * then; an environment that no longer exists is dropped.
   */
  async refreshMany(environmentIds: readonly number[]): Promise<void> {
    await this.reloadKeys();
    await Promise.all(environmentIds.map((environmentId) => this.load(environmentId, { fresh: true })));
  }

  private async reloadKeys(): Promise<void> {
    const keys = new Map<string, ResolvedKey>();
    for (const row of await loadEnvironmentKeys(this.db)) {
      keys.set(row.client_key, { environmentId: row.environment_id, server: false });
      for (const hash of row.server_key_hashes ?? []) keys.set(hash, { environmentId: row.environment_id, server: true });
    }
    this.keys = keys;
  }

  /**
   * Loads and compiles an environment. Concurrent first loads share one build; a `fresh` load always
   * builds anew. Every build is numbered when it starts, and a result replaces the held copy only if no
   * later-started build has already landed, so a slow, older build never overwrites a newer one.
   */
  private load(environmentId: number, { fresh = false } = {}): Promise<PreparedEnvironment | undefined> {
    const inFlight = fresh ? undefined : this.loading.get(environmentId);
    if (inFlight) return inFlight;
    const generation = ++this.lastGeneration;
    const pending = this.build(environmentId)
      .then(
        (cached) => {
          this.observer.reload?.('ok');
          if (generation > (this.landedGenerations.get(environmentId) ?? 0)) {
            this.landedGenerations.set(environmentId, generation);
            if (cached) this.environments.set(environmentId, cached);
            else this.environments.delete(environmentId);
          }
          return cached;
        },
        (error: unknown) => {
          this.observer.reload?.('failed');
          throw error;
        },
      )
      .finally(() => {
        if (this.loading.get(environmentId) === pending) this.loading.delete(environmentId);
      });
    this.loading.set(environmentId, pending);
    return pending;
  }

  private async build(environmentId: number): Promise<PreparedEnvironment | undefined> {
    const loaded = await inOneSnapshot(this.db, (tx) => loadEnvironment(tx, environmentId));
    return loaded && prepareEnvironment(loaded);
  }
}
