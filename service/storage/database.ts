/**
 * The one storage interface and its two backends: PostgreSQL through node-postgres (`pg`), and
 * embedded PGlite. Both speak the same SQL and run the same migrations; nothing above this module
 * knows which one it has.
 *
 * Conventions both backends rely on: jsonb parameters are passed as JSON text (`json(value)`), and
 * results never carry int8 (cast counts with `::int` or `::float8`) because the drivers map it differently.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Pool, type PoolClient } from 'pg';

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for every NOTIFY on `channel`, keeping the subscription alive across lost
   * connections; `onReconnect` runs after each re-subscription (notifications may have been missed).
   */
  listen(channel: string, onNotify: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  /** Connections in use and open, for metrics. */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** Encodes a value for a jsonb parameter, identically for both drivers. */
export const json = (value: unknown): string => JSON.stringify(value ?? null);

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded PGlite database in `dataDir` is used. */
  databaseUrl?: string;
  dataDir: string;
  /** Most connections this process opens to PostgreSQL. */
  poolMax: number;
  /** Longest wait for a connection or a query, in milliseconds. */
  timeoutMs?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolMax, options.timeoutMs ?? 3000)
    : openPGlite(options.dataDir);
}

function openPostgres(connectionString: string, max: number, timeoutMs: number): Database {
  // Bounded waits everywhere: a dead or hung database fails requests in `timeoutMs`, not minutes.
  const pool = new Pool({
    connectionString,
    max,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    idleTimeoutMillis: 30000,
    keepAlive: true,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const queryWith = async <Row>(client: Pool | PoolClient, sql: string, params?: readonly unknown[]) =>
    (await client.query(sql, params as unknown[])).rows as Row[];
  return {
    kind: 'postgres',
    query: (sql, params) => queryWith(pool, sql, params),
    async transaction(work) {
      const client = await pool.connect();
      // A checked-out client has no pool listener: a connection lost between two statements would be
      // an unhandled 'error' event, which ends the process. The next statement fails instead, and the
      // broken client is discarded rather than returned to the pool.
      let lost: Error | undefined;
      const onError = (error: Error) => (lost = error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work({ query: (sql, params) => queryWith(client, sql, params) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(lost);
      }
    },
    listen: (channel, onNotify, onReconnect) => listenPostgres(connectionString, channel, onNotify, onReconnect),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/** A dedicated connection for LISTEN (a pooled one would be handed to others), re-opened when lost. */
async function listenPostgres(
  connectionString: string,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect?: () => void,
): Promise<() => Promise<void>> {
  let client: Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const scheduleReconnect = () => {
    if (closed) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void connect(true), 1000);
  };
  const connect = async (isReconnect: boolean): Promise<void> => {
    const next = new Client({ connectionString, connectionTimeoutMillis: 5000, keepAlive: true });
    next.on('notification', (message) => message.channel === channel && onNotify(message.payload ?? ''));
    next.on('error', () => undefined);
    next.on('end', scheduleReconnect);
    try {
      await next.connect();
      await next.query(`LISTEN ${escapeIdentifier(channel)}`);
    } catch (error) {
      next.removeListener('end', scheduleReconnect);
      await next.end().catch(() => undefined);
      if (!isReconnect) throw error;
      scheduleReconnect();
      return;
    }
    client = next;
    if (isReconnect) onReconnect?.();
  };
  await connect(false);
  return async () => {
    closed = true;
    clearTimeout(retryTimer);
    await client?.end().catch(() => undefined);
  };
}

const escapeIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Another process has the embedded database open: two would each overwrite the other's writes. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`The embedded database in ${resolve(dataDir)} is in use by process ${pid}; stop it, or give this one another FLAGSTACK_DATA_DIR`);
  }
}

/**
 * Makes this process the data folder's one owner, through a file holding its pid (created only if
 * absent, so two processes cannot both succeed); a file left by a process that is gone is replaced.
 * Returns the release.
 */
function claimDataDir(dataDir: string): () => void {
  const lockFile = join(dataDir, 'flagstack.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        if (readPid(lockFile) === process.pid) rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readPid(lockFile);
    if (owner !== undefined && (owner === process.pid || isRunningNode(owner))) throw new DataDirInUseError(dataDir, owner);
    if (attempt > 0) throw new DataDirInUseError(dataDir, owner ?? 0);
    rmSync(lockFile, { force: true });
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the pid is a live Node.js process (a recycled pid of some other program does not count). */
function isRunningNode(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node');
  } catch {
    return true; // no /proc to tell (macOS): assume it is the owner
  }
}

async function openPGlite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const release = claimDataDir(dataDir);
  // Loaded only when used, so a deployment on PostgreSQL never needs PGlite's WebAssembly files.
  let db: import('@electric-sql/pglite').PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(dataDir);
  } catch (error) {
    release();
    throw error;
  }
  return {
    kind: 'pglite',
    query: async (sql, params) => (await db.query(sql, params as unknown[])).rows as never,
    transaction: (work) =>
      db.transaction((tx) => work({ query: async (sql, params) => (await tx.query(sql, params as unknown[])).rows as never })),
    listen: async (channel, onNotify) => {
      const unsubscribe = await db.listen(channel, onNotify);
      return () => unsubscribe();
    },
    // One in-process connection.
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      await db.close();
      release();
    },
  };
}
