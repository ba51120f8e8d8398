/** Schema versions: a copy runs only between databases at this build's version. */
import type { Queryable } from '../storage/database';
import { MIGRATIONS } from '../storage/migrations';
import { MoveError } from './errors';

export const BUILD_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The database's schema version: its latest applied migration; undefined when none ever ran (a new database). */
export async function schemaVersion(db: Queryable): Promise<number | undefined> {
  const [{ present }] = await db.query<{ present: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!present) return undefined;
  const [{ version }] = await db.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return version ?? undefined;
}

/** Refuses a side whose version is not this build's, naming both versions and the fix. */
export function requireBuildVersion(side: string, version: number | undefined): void {
  if (version === BUILD_SCHEMA_VERSION) return;
  if (version === undefined) throw new MoveError(`${side} is not a flagstack database (no schema_migrations)`);
  const fix =
    version < BUILD_SCHEMA_VERSION
      ? `run \`npm run migrate\` against it (DATABASE_URL or FLAGSTACK_DATA_DIR naming it), then run this again`
      : `run this from a build at schema version ${version}`;
  throw new MoveError(`${side} is at schema version ${version} and this build at ${BUILD_SCHEMA_VERSION}: ${fix}`);
}

/** The instance's own id (migration 6), which a copy does not carry. */
export async function instanceId(db: Queryable): Promise<string> {
  const [{ id }] = await db.query<{ id: string }>('SELECT id::text AS id FROM instance');
  return id;
}
