/** The audit log: every admin change, newest first, paged by cursor. */
import type { Queryable } from '../../storage/database';
import { environmentByKey } from '../lookups';
import type { AuditLogQuery } from './schemas';

export async function listAuditLog(tx: Queryable, paging: AuditLogQuery) {
  const environmentId = paging.environment ? (await environmentByKey(tx, paging.environment)).id : null;
  const items = await tx.query<{ id: number }>(
    `SELECT id, at, actor, action, entity_type, entity_id, project_id, environment_id, before, after FROM audit_log
      WHERE ($1::int IS NULL OR id < $1) AND ($2::int IS NULL OR environment_id = $2) AND ($3::int IS NULL OR project_id = $3)
      ORDER BY id DESC LIMIT $4`,
    [paging.cursor ?? null, environmentId, paging.project ?? null, paging.limit],
  );
  return { items, nextCursor: items.length === paging.limit ? items[items.length - 1].id : null };
}
