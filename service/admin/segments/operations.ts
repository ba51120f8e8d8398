/** Segments: project-wide rules that identities match (each environment's overrides for them: segment-overrides/). */
import { firstRefusedCondition } from '../../engine';
import { conflict, HttpError, notFound } from '../../errors';
import { json, type Queryable } from '../../storage/database';
import { lockRow, projectById } from '../lookups';
import type { Change } from '../writer';
import type { SegmentCreate, SegmentUpdate } from './schemas';

export const listSegments = async (tx: Queryable, projectId: number) => {
  await projectById(tx, projectId);
  return tx.query('SELECT id, project_id, name, description, rules, created_at FROM segments WHERE project_id = $1 ORDER BY id', [
    projectId,
  ]);
};

export async function getSegment(tx: Queryable, id: number) {
  const [row] = await tx.query<{ id: number; project_id: number; name: string }>(
    'SELECT id, project_id, name, description, rules, created_at FROM segments WHERE id = $1',
    [id],
  );
  if (!row) throw notFound(`Segment ${id} not found`);
  return row;
}

/** 400 for rules holding a condition the engine refuses (a REGEX pattern RE2 cannot run). */
export function assertUsableRules(rules: SegmentCreate['rules'], where: string, segmentName: string): void {
  const refused = firstRefusedCondition(rules);
  if (refused) throw new HttpError(400, 'VALIDATION_ERROR', `${where}/${refused.path} (segment '${segmentName}'): ${refused.problem}`);
}

export async function createSegment({ tx, record }: Change, projectId: number, input: SegmentCreate) {
  assertUsableRules(input.rules, 'body/rules', input.name);
  await projectById(tx, projectId);
  // Names are unique through the admin API (an imported document may bring segments sharing one).
  const [existing] = await tx.query('SELECT 1 FROM segments WHERE project_id = $1 AND name = $2', [projectId, input.name]);
  if (existing) throw conflict(`Segment '${input.name}' already exists in project ${projectId}`);
  const [row] = await tx.query<{ id: number }>(
    'INSERT INTO segments (project_id, name, description, rules) VALUES ($1, $2, $3, $4::jsonb) RETURNING id',
    [projectId, input.name, input.description ?? null, json(input.rules)],
  );
  const after = await getSegment(tx, row.id);
  record({ action: 'create', entityType: 'segment', entityId: row.id, projectId, after });
  return after;
}

export async function updateSegment({ tx, record }: Change, id: number, input: SegmentUpdate) {
  await lockRow(tx, 'segments', id);
  const before = await getSegment(tx, id);
  if (input.rules) assertUsableRules(input.rules, 'body/rules', input.name ?? before.name);
  // Names are unique through the admin API (an imported document may bring segments sharing one).
  if (input.name !== undefined && input.name !== before.name) {
    const [taken] = await tx.query('SELECT 1 FROM segments WHERE project_id = $1 AND name = $2 AND id <> $3', [
      before.project_id,
      input.name,
      id,
    ]);
    if (taken) throw conflict(`Segment '${input.name}' already exists in project ${before.project_id}`);
  }
  await tx.query(
    `UPDATE segments SET name = COALESCE($2, name), description = CASE WHEN $3 THEN $4 ELSE description END,
       rules = COALESCE($5::jsonb, rules) WHERE id = $1`,
    [id, input.name ?? null, 'description' in input, input.description ?? null, input.rules ? json(input.rules) : null],
  );
  const after = await getSegment(tx, id);
  record({ action: 'update', entityType: 'segment', entityId: id, projectId: before.project_id, before, after });
  return after;
}

export async function deleteSegment({ tx, record }: Change, id: number) {
  await lockRow(tx, 'segments', id);
  const before = await getSegment(tx, id);
  await tx.query('DELETE FROM segments WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'segment', entityId: id, projectId: before.project_id, before });
}
