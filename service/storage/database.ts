/**
 * The one storage interface and its two backends: PostgreSQL through node-postgres (`pg`), and
 * embedded PGlite. Both speak the same SQL and run the same migrations; nothing above this module
 * knows which one it has.
 *
 * Conventions both backends rely on: jsonb parameters are passed as JSON text (`json(value)`), and
 * results never carry int8 (cast counts with `::int` or `::float8`) because the drivers map it differently.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /**
   * Asks the database a trivial question on a connection of its own, so that it answers whether the
   * database is reachable even when every pooled connection is busy with slow work; rejects if not.
   */
  ping(): Promise<void>;
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
  /**
   * PGlite with 16 MB of shared buffers instead of PostgreSQL's 128: for a process that streams through
   * the data once (the mover), whose memory it bounds, not for serving, which keeps the data cached.
   */
  streaming?: boolean;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolMax, options.timeoutMs ?? 3000)
    : openPGlite(options.dataDir, options.streaming ?? false);
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
  const pinger = new Pinger(connectionString, timeoutMs);
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
    listen: (channel, onNotify, onReconnect) =>
      listenPostgres(connectionString, channel, onNotify, onReconnect, (client) => (pinger.listening = client)),
    ping: () => pinger.ping(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

/**
 * The health probe's question goes over the LISTEN connection, which is otherwise idle and is not the
 * pool's (so a busy pool cannot make the database look down), and costs no connection of its own; while
 * there is none (before LISTEN, or while it reconnects), over a connection opened for the question.
 * A failed answer ends the LISTEN connection, which then reconnects.
 */
class Pinger {
  /** The LISTEN connection, while it is up. */
  listening: Client | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly timeoutMs: number,
  ) {}

  async ping(): Promise<void> {
    const client = this.listening;
    if (client) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Query read timeout: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      try {
        await Promise.race([client.query('SELECT 1'), late]);
      } catch (error) {
        // Not awaited: a hung connection may never finish ending. Until the listener reconnects, the
        // probe opens connections of its own.
        if (this.listening === client) this.listening = undefined;
        void client.end().catch(() => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
      return;
    }
    const once = new Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
    });
    once.on('error', () => undefined);
    try {
      await once.connect();
      await once.query('SELECT 1');
    } finally {
      await once.end().catch(() => undefined);
    }
  }
}

/** A dedicated connection for LISTEN (a pooled one would be handed to others), re-opened when lost. */
async function listenPostgres(
  connectionString: string,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect: (() => void) | undefined,
  /** Told of each connection once it listens, and of its end. */
  onClient: (client: Client | undefined) => void,
): Promise<() => Promise<void>> {
  let client: Client | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const scheduleReconnect = () => {
    onClient(undefined);
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
    onClient(next);
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
    readonly pid: number | undefined,
  ) {
    super(
      `The embedded database in ${resolve(dataDir)} is in use by ${pid ? `process ${pid}` : 'another process'}; stop it, or give this one another FLAGSTACK_DATA_DIR`,
    );
  }
}

/**
 * Makes this process the data folder's one owner, through a file naming it (created only if absent, so
 * two processes cannot both succeed). A file whose process is gone is set aside by renaming it (only one
 * of two starters can), then the claim is tried again. A process is named by its pid and its start time,
 * since a pid alone comes back: a container's process is pid 1 after every restart. Returns the release.
 */
function claimDataDir(dataDir: string): () => void {
  const lockFile = join(dataDir, 'flagstack.pid');
  const me = processIdentity(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(lockFile, `${me}\n`, { flag: 'wx' });
      return () => {
        if (readOwner(lockFile) === me) rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(lockFile);
    if (owner !== undefined && isRunning(owner)) throw new DataDirInUseError(dataDir, Number.parseInt(owner, 10));
    const setAside = `${lockFile}.${process.pid}.stale`;
    try {
      renameSync(lockFile, setAside);
      rmSync(setAside, { force: true });
    } catch {
      // Another starter set it aside first: try again.
    }
  }
  throw new DataDirInUseError(dataDir, Number.parseInt(readOwner(lockFile) ?? '', 10) || undefined);
}

/** `<pid> <start time>`: the start time in clock ticks since boot (/proc), where there is one. */
function processIdentity(pid: number): string {
  try {
    // Field 22 of /proc/<pid>/stat; the command name before it (in parentheses) may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return String(pid);
  }
}

function readOwner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether the process a lock file names is still the one that wrote it. */
function isRunning(owner: string): boolean {
  const pid = Number.parseInt(owner, 10);
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Without a start time to compare (no /proc), a live pid counts as the owner.
  return !owner.includes(' ') || processIdentity(pid) === owner;
}

/** PGlite's memory for a process that streams through the data once: small buffers, small sort and work areas. */
const STREAMING_SETTINGS = ['shared_buffers=16MB', 'wal_buffers=256kB', 'work_mem=1MB', 'maintenance_work_mem=1MB', 'temp_buffers=1MB'];

async function openPGlite(dataDir: string, streaming: boolean): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const release = claimDataDir(dataDir);
  // Loaded only when used, so a deployment on PostgreSQL never needs PGlite's WebAssembly files.
  let db: import('@electric-sql/pglite').PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(
      dataDir,
      streaming ? { startParams: [...PGlite.defaultStartParams, ...STREAMING_SETTINGS.flatMap((setting) => ['-c', setting])] } : {},
    );
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
    ping: async () => void (await db.query('SELECT 1')),
    // One in-process connection.
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      await db.close();
      release();
    },
  };
}
