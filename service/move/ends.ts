/**
 * The two ends of a copy: a PGlite data folder or a PostgreSQL URL, opened and asked a first question
 * so that an unreachable one is reported before anything else happens, naming which end and why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataDirInUseError, openDatabase, type Database } from '../storage/database';
import { MoveError, reasonOf } from './errors';

export type EndRole = 'source' | 'target';

export interface End {
  readonly db: Database;
  /** How the end is named in messages and in the moves table: a folder's absolute path, or the URL without its password. */
  readonly name: string;
}

/** Long enough for a page of rows or a count on a large table, short enough to give up on a dead database. */
const QUERY_TIMEOUT_MS = 60_000;

const isPostgresUrl = (spec: string): boolean => /^postgres(ql)?:\/\//i.test(spec);

/** The end as it may be shown and stored: a URL loses its password, a folder becomes absolute. */
export function describeEnd(spec: string): string {
  if (!isPostgresUrl(spec)) return resolve(spec);
  try {
    const url = new URL(spec);
    url.password = '';
    // libpq also takes a password as a query parameter.
    for (const name of ['password', 'sslpassword']) url.searchParams.delete(name);
    return url.toString();
  } catch {
    return spec.replace(/:[^:@/]*@/, '@');
  }
}

export async function openEnd(spec: string, role: EndRole): Promise<End> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec) && !isPostgresUrl(spec)) {
    throw new MoveError(`the ${role} ${spec} is neither a PGlite folder nor a postgres:// URL`);
  }
  const name = describeEnd(spec);
  if (!isPostgresUrl(spec)) {
    checkFolder(name, role);
    if (role === 'target') createFolderApart(name);
  }
  let db: Database;
  try {
    db = await openDatabase({
      databaseUrl: isPostgresUrl(spec) ? spec : undefined,
      dataDir: name,
      poolMax: 2,
      timeoutMs: QUERY_TIMEOUT_MS,
      streaming: true,
    });
  } catch (error) {
    if (error instanceof DataDirInUseError) throw new MoveError(`the ${role}: ${error.message}`);
    throw new MoveError(`cannot open the ${role} ${name}: ${reasonOf(error)}`);
  }
  try {
    await db.query('SELECT 1');
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new MoveError(`cannot reach the ${role} ${name}: ${reasonOf(error)}`);
  }
  return { db, name };
}

/**
 * Creates and migrates a new PGlite folder in a process of its own (the built `npm run migrate`, beside
 * the mover): PGlite's initdb peaks near 800 MB in whichever process runs it and keeps much of it, which
 * would otherwise be the mover's peak, whatever the size of the copy. Run from source (tests), the mover
 * creates the folder itself.
 */
function createFolderApart(folder: string): void {
  const migrateBundle = join(__dirname, 'migrate.js');
  if (existsSync(join(folder, 'PG_VERSION')) || !existsSync(migrateBundle)) return;
  const created = spawnSync(process.execPath, [migrateBundle], {
    env: { PATH: process.env.PATH, FLAGSTACK_DATA_DIR: folder },
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new MoveError(`cannot create the target folder ${folder}: ${(created.stderr || created.stdout).trim()}`);
}

/** A source folder must hold a database; a target folder may be absent or empty (a new one is made), not foreign. */
function checkFolder(folder: string, role: EndRole): void {
  const holdsDatabase = existsSync(join(folder, 'PG_VERSION'));
  if (role === 'source' && !existsSync(folder)) throw new MoveError(`the source folder ${folder} does not exist`);
  if (role === 'source' && !holdsDatabase)
    throw new MoveError(`the source folder ${folder} is not a PGlite database (it has no PG_VERSION)`);
  if (role === 'target' && existsSync(folder) && !holdsDatabase && readdirSync(folder).length > 0) {
    throw new MoveError(`the target folder ${folder} is not empty and is not a PGlite database`);
  }
}
