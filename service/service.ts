/** Wires the service together: database, migrations, caches, stores and the HTTP app. */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from './config';
import { adminTokenExists, ensureBootstrapToken, NO_ADMIN_TOKEN_HINT } from './admin/tokens/operations';
import { AdminWriter } from './admin/writer';
import { silentLog } from './log';
import type { EdgePublisher } from './publisher/edge-publisher';
import { EnvironmentCache } from './environments/environment-cache';
import { buildApp, type Lifecycle } from './http/app';
import { ServiceMetrics } from './http/metrics';
import { AnalyticsStore } from './storage/analytics';
import { openDatabase, type Database } from './storage/database';
import { DatabaseHealth } from './storage/health';
import { migrate } from './storage/migrate';
import { MoveRoleWatch } from './storage/moves';
import { MoveControl } from './admin/moves/operations';
import { TraitStore } from './storage/traits';
import { adminCorsPolicy, parseOrigins, sdkCorsPolicy } from './cors';
import { identityBoundsOf, traitLimitsOf } from './shared-settings';

export interface RunningService {
  readonly app: FastifyInstance;
  readonly db: Database;
  readonly address: string;
  readonly databaseKind: Database['kind'];
  /** Publishes environments to the edge stage's flag table (with FLAGSTACK_EDGE_TABLE). */
  readonly edgePublisher: EdgePublisher | undefined;
  /** The live move this instance may run as its source (also started by tests with an open target). */
  readonly moves: MoveControl;
  /**
   * Readiness fails at once; the server stops accepting and finishes every in-flight request; pending
   * trait writes are flushed; the database is closed.
   */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger: FastifyBaseLogger | false;
  /** A database to use instead of opening one from the configuration (several instances in one test). */
  database?: Database;
}

export async function startService(config: Config, { logger, database }: ServiceOptions): Promise<RunningService> {
  const db =
    database ??
    (await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.FLAGSTACK_DATA_DIR,
      poolMax: config.FLAGSTACK_DB_POOL_MAX,
      timeoutMs: config.FLAGSTACK_DB_TIMEOUT_MS,
    }));
  await migrate(db);
  if (config.FLAGSTACK_ADMIN_TOKEN) await ensureBootstrapToken(db, config.FLAGSTACK_ADMIN_TOKEN);
  else if (logger && !(await adminTokenExists(db))) logger.warn(NO_ADMIN_TOKEN_HINT);

  const health = new DatabaseHealth();
  const traits = new TraitStore(db, {
    batchWindowMs: config.FLAGSTACK_TRAIT_BATCH_MS,
    bounds: identityBoundsOf(config),
    health,
  });
  const metrics = new ServiceMetrics({ poolStats: () => db.poolStats(), pendingTraitWrites: () => traits.pending });
  const [cacheHits, cacheMisses] = [metrics.cacheLookups.labels('hit'), metrics.cacheLookups.labels('miss')];
  const cache = new EnvironmentCache(db, {
    lookup: (hit) => (hit ? cacheHits : cacheMisses).inc(),
    reload: (outcome) => metrics.reloads.inc({ outcome }),
  });
  await cache.start();
  const moveRoles = new MoveRoleWatch(db);
  await moveRoles.start(config.FLAGSTACK_CACHE_CHECK_MS);
  const moves = new MoveControl(db, (message, details) => logger && logger.info(details ?? {}, message));
  // Loaded only where the edge stage is on: the AWS SDK would add some 15 MB to every other instance.
  const createEdgePublisher = async (tableName: string): Promise<EdgePublisher> => {
    const [{ EdgePublisher }, { DynamoDBClient }] = await Promise.all([
      import('./publisher/edge-publisher'),
      import('@aws-sdk/client-dynamodb'),
    ]);
    return new EdgePublisher(
      db,
      new DynamoDBClient({ region: config.FLAGSTACK_EDGE_REGION }),
      { tableName, checkIntervalMs: config.FLAGSTACK_EDGE_CHECK_MS },
      logger || silentLog,
      { published: (outcome) => metrics.edgePublishes.inc({ outcome }) },
    );
  };
  const edgePublisher = config.FLAGSTACK_EDGE_TABLE === undefined ? undefined : await createEdgePublisher(config.FLAGSTACK_EDGE_TABLE);
  const lifecycle: Lifecycle = { shuttingDown: false };
  const writer = new AdminWriter(db, cache, health, (environmentIds) => edgePublisher?.schedule(environmentIds));
  const app = await buildApp(
    {
      db,
      cache,
      traits,
      health,
      analytics: new AnalyticsStore(db),
      writer,
      metrics,
      lifecycle,
      traitLimits: traitLimitsOf(config),
      identityBounds: traits.bounds,
      moves,
      moveRoles,
    },
    {
      logger,
      bodyLimit: config.FLAGSTACK_BODY_LIMIT,
      sdkCors: sdkCorsPolicy(parseOrigins(config.FLAGSTACK_CORS_ORIGINS)),
      adminCors:
        config.FLAGSTACK_ADMIN_CORS_ORIGINS === undefined ? undefined : adminCorsPolicy(parseOrigins(config.FLAGSTACK_ADMIN_CORS_ORIGINS)),
      timeouts: {
        headersMs: config.FLAGSTACK_HEADERS_TIMEOUT_MS,
        requestMs: config.FLAGSTACK_REQUEST_TIMEOUT_MS,
        keepAliveMs: config.FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS,
      },
    },
  );
  // Health is the probe's: a trivial query on a connection of its own, however busy the pool.
  const probe = setInterval(
    () =>
      void db.ping().then(
        () => health.markUp(),
        (error: unknown) => {
          if (health.up) app.log.warn({ err: error }, 'database unreachable; serving flags from memory');
          health.markDown();
        },
      ),
    config.FLAGSTACK_CACHE_CHECK_MS,
  );
  probe.unref();
  await cache.startSync(
    config.FLAGSTACK_CACHE_CHECK_MS,
    (error) => app.log.warn({ err: error }, 'environment version check failed; will retry'),
    () => void moveRoles.reload().catch(() => undefined),
  );

  const address = await app.listen({ port: config.PORT, host: config.HOST });
  edgePublisher?.start();
  return {
    app,
    db,
    address,
    databaseKind: db.kind,
    edgePublisher,
    moves,
    async stop() {
      lifecycle.shuttingDown = true;
      clearInterval(probe);
      if (config.FLAGSTACK_SHUTDOWN_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, config.FLAGSTACK_SHUTDOWN_DELAY_MS));
      await app.close();
      await edgePublisher?.stop();
      await cache.stop();
      moveRoles.stop();
      await traits.drain();
      if (!database) await db.close();
    },
  };
}
