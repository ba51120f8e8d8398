/** Wires the service together: database, migrations, caches, stores and the HTTP app. */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config';
import { ensureBootstrapToken } from './admin/tokens';
import { AdminWriter } from './admin/writer';
import { EnvironmentCache } from './flags/environment-cache';
import { buildApp } from './http/app';
import { ServiceMetrics } from './http/metrics';
import { AnalyticsStore } from './storage/analytics';
import { openDatabase, type Database } from './storage/database';
import { migrate } from './storage/migrate';
import { TraitStore } from './storage/traits';

export interface RunningService {
  readonly app: FastifyInstance;
  readonly db: Database;
  readonly address: string;
  readonly databaseKind: Database['kind'];
  /** Stops accepting, finishes in-flight requests, flushes trait writes, closes the database. */
  stop(): Promise<void>;
}

export async function startService(config: Config, logger: FastifyBaseLogger | false): Promise<RunningService> {
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.FLAGSTACK_DATA_DIR,
    poolMax: config.FLAGSTACK_DB_POOL_MAX,
  });
  await migrate(db);
  if (config.FLAGSTACK_ADMIN_TOKEN) await ensureBootstrapToken(db, config.FLAGSTACK_ADMIN_TOKEN);

  const traits = new TraitStore(db, config.FLAGSTACK_TRAIT_BATCH_MS);
  const metrics = new ServiceMetrics({ poolStats: () => db.poolStats(), pendingTraitWrites: () => traits.pending });
  const cache = new EnvironmentCache(db, {
    lookup: (hit) => metrics.cacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
    reload: (outcome) => metrics.reloads.inc({ outcome }),
  });
  await cache.start();
  const analytics = new AnalyticsStore(db);
  const writer = new AdminWriter(db, cache);
  const app = await buildApp({ db, cache, traits, analytics, writer, metrics }, { logger, bodyLimit: config.FLAGSTACK_BODY_LIMIT });
  await cache.startSync(config.FLAGSTACK_CACHE_CHECK_MS, (error) => app.log.warn({ err: error }, 'environment sync failed'));
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  return {
    app,
    db,
    address,
    databaseKind: db.kind,
    async stop() {
      await app.close();
      await cache.stop();
      await traits.drain();
      await db.close();
    },
  };
}
