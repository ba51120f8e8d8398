/**
 * The flag service: `node dist/service/server.js`. Reads configuration, opens the database
 * (PostgreSQL, or embedded PGlite), applies migrations, and serves. With WEB_CONCURRENCY > 1 it forks
 * that many workers (node:cluster) sharing the port, for machines with several cores.
 */
// First: V8's settings apply to what is allocated after them.
import './v8-settings';
import cluster from 'node:cluster';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from './config';
import { serveClusterMetrics } from './http/cluster-metrics';
import { startService } from './service';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = pino({ level: config.LOG_LEVEL, base: { pid: process.pid } });

  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) {
    if (!config.DATABASE_URL) {
      console.error('WEB_CONCURRENCY > 1 needs DATABASE_URL: the embedded database belongs to one process');
      process.exit(2);
    }
    superviseWorkers(config, logger);
    return;
  }

  const service = await startService(config, { logger });
  logger.info({ address: service.address, database: service.databaseKind }, 'flagstack serving');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.FLAGSTACK_SHUTDOWN_GRACE_MS }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('in-flight work outlived the grace period; exiting anyway');
      process.exit(1);
    }, config.FLAGSTACK_SHUTDOWN_GRACE_MS);
    deadline.unref();
    service.stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** The primary: forks the workers, replaces one that dies, and passes SIGTERM on to all of them. */
function superviseWorkers(config: Config, logger: pino.Logger): void {
  let stopping = false;
  serveClusterMetrics();
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ worker: worker.process.pid, code }, 'worker died; starting another');
    cluster.fork();
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logger.info({ workers: config.WEB_CONCURRENCY }, 'flagstack primary started');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
