/**
 * The flag service: `node dist/service/server.js`. Reads configuration, opens the database
 * (PostgreSQL, or embedded PGlite), applies migrations, and serves. With WEB_CONCURRENCY > 1 it forks
 * that many workers (node:cluster) sharing the port, for machines with several cores.
 */
// First: V8's settings apply to what is allocated after them.
import './v8-settings';
import cluster from 'node:cluster';
import pino from 'pino';
import { loadConfig, type Config } from './config';
import { serveClusterMetrics } from './http/cluster-metrics';
import { startService } from './service';
import { SettingsError } from './settings';
import { DataDirInUseError } from './storage/database';

/** Stops the process with one line for the operator: no stack trace for a mistake in the settings. */
function exitWith(message: string): never {
  console.error(`flagstack: ${message}`);
  process.exit(2);
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof SettingsError) exitWith(error.message);
    throw error;
  }
}

/** What an operator can do about a failed start, or undefined for a failure that is a bug (its stack is printed). */
function startFailure(error: unknown, config: Config): string | undefined {
  if (error instanceof DataDirInUseError) return error.message;
  const { code, syscall, hostname } = error as NodeJS.ErrnoException & { hostname?: string };
  const where = `${config.HOST}:${config.PORT}`;
  if (syscall === 'listen' && code === 'EADDRINUSE')
    return `port ${config.PORT} is in use on ${config.HOST} by another process; stop it or set PORT`;
  if (syscall === 'listen' && code === 'EACCES')
    return `port ${config.PORT} needs privileges this process lacks; set PORT to 1024 or above`;
  if (code === 'EADDRNOTAVAIL')
    return `HOST=${config.HOST} is not an address of this machine (${where}); use 0.0.0.0 for every interface or 127.0.0.1 for this machine only`;
  if (code === 'ENOTFOUND' && hostname === config.HOST)
    return `HOST=${config.HOST} does not resolve to an address; use 0.0.0.0 or 127.0.0.1`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the database host ${hostname ?? ''} in DATABASE_URL does not resolve`;
  if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || /Connection terminated|timeout/i.test((error as Error).message ?? '')) {
    return `cannot reach the database in DATABASE_URL (${code ?? (error as Error).message}); is PostgreSQL running there?`;
  }
  if (code === '28P01' || code === '28000') return 'the database refused the user or password in DATABASE_URL';
  if (code === '3D000') return `the database named in DATABASE_URL does not exist (${(error as Error).message})`;
  if (!config.DATABASE_URL && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC'].includes(code ?? '')) {
    return `cannot write the embedded database's folder FLAGSTACK_DATA_DIR=${config.FLAGSTACK_DATA_DIR} (${code}); make it a writable folder or set DATABASE_URL`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = pino({ level: config.LOG_LEVEL, base: { pid: process.pid } });

  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) {
    if (!config.DATABASE_URL) exitWith('WEB_CONCURRENCY > 1 needs DATABASE_URL: the embedded database belongs to one process');
    superviseWorkers(config, logger);
    return;
  }

  const service = await startService(config, { logger }).catch((error: unknown) => {
    const message = startFailure(error, config);
    if (message) exitWith(message);
    throw error;
  });
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
