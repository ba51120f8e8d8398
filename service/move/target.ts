/**
 * Getting a target ready for a copy, and recording the copy in its moves table. A target takes a copy
 * when it is new or empty, when it is already a copy of this source (a rerun, or a resume after an
 * interruption), or when told to be replaced (--force).
 */
import { migrate } from '../storage/migrate';
import type { End } from './ends';
import { MoveError } from './errors';
import { instanceId, requireBuildVersion, schemaVersion } from './schema';
import { COPIED_TABLES } from './tables';

/** The source as the target records it. */
export interface SourceIdentity {
  instanceId: string;
  name: string;
}

/** Copy states a rerun may resume from; a target past them (a live move's replica, or primary) is not overwritten unless forced. */
const RESUMABLE_STATES = ['copying', 'copied'];

/**
 * Migrates a new target, checks its version and contents, empties it when forced, and records the copy
 * as 'copying'. Returns the moves row's id, for markCopied.
 */
export async function prepareTarget(target: End, source: SourceIdentity, force: boolean): Promise<number> {
  const side = `the target ${target.name}`;
  if ((await schemaVersion(target.db)) === undefined) await migrate(target.db);
  requireBuildVersion(side, await schemaVersion(target.db));
  if ((await instanceId(target.db)) === source.instanceId)
    throw new MoveError(`the source and the target are the same instance (${source.name})`);

  const [previous] = await target.db.query<{ id: number; state: string }>(
    `SELECT id, state FROM moves WHERE role = 'target' AND peer = $1 ORDER BY id DESC LIMIT 1`,
    [source.instanceId],
  );
  const resumable = previous !== undefined && RESUMABLE_STATES.includes(previous.state);
  if (!resumable && (await holdsRows(target))) {
    if (!force) {
      const why = previous
        ? `its copy of this source is past copying (state '${previous.state}')`
        : 'it holds rows that are not a copy of this source';
      throw new MoveError(`${side} is not empty: ${why}; give --force to replace everything in it`);
    }
    await target.db.query(`TRUNCATE ${COPIED_TABLES.map((table) => table.name).join(', ')}`);
  }
  return recordCopying(target, source, resumable ? previous.id : undefined);
}

async function holdsRows(target: End): Promise<boolean> {
  const [{ any }] = await target.db.query<{ any: boolean }>(
    `SELECT ${COPIED_TABLES.map((table) => `EXISTS (SELECT 1 FROM ${table.name})`).join(' OR ')} AS any`,
  );
  return any;
}

async function recordCopying(target: End, source: SourceIdentity, moveId: number | undefined): Promise<number> {
  if (moveId !== undefined) {
    await target.db.query(`UPDATE moves SET state = 'copying', peer_name = $2, updated_at = now() WHERE id = $1`, [moveId, source.name]);
    return moveId;
  }
  const [{ id }] = await target.db.query<{ id: number }>(
    `INSERT INTO moves (role, peer, peer_name, state) VALUES ('target', $1, $2, 'copying') RETURNING id`,
    [source.instanceId, source.name],
  );
  return id;
}

/** Records that the copy is complete and verified. */
export async function markCopied(target: End, moveId: number): Promise<void> {
  await target.db.query(`UPDATE moves SET state = 'copied', updated_at = now() WHERE id = $1`, [moveId]);
}
