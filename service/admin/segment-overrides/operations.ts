/** Segment overrides: a feature's state in one environment for the identities in a segment. */
import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../errors';
import { json, type Queryable } from '../../storage/database';
import { applyStateUpdate, featureStateView, updateStateAudited } from '../feature-states/operations';
import { environmentByKey, featureByName, lockRow } from '../lookups';
import type { Change } from '../writer';
import type { SegmentOverrideCreate, SegmentOverrideUpdate } from './schemas';

export async function listSegmentOverrides(tx: Queryable, clientKey: string) {
  const environment = await environmentByKey(tx, clientKey);
  const rows = await tx.query<{ id: number }>(
    'SELECT id FROM feature_states WHERE environment_id = $1 AND segment_id IS NOT NULL ORDER BY priority, id',
    [environment.id],
  );
  return Promise.all(rows.map((row) => featureStateView(tx, row.id)));
}

async function segmentOverrideRow(tx: Queryable, environmentId: number, id: number) {
  const [row] = await tx.query<{ id: number; feature_id: number }>(
    'SELECT id, feature_id FROM feature_states WHERE id = $1 AND environment_id = $2 AND segment_id IS NOT NULL',
    [id, environmentId],
  );
  if (!row) throw notFound(`Segment override ${id} not found`);
  return row;
}

export async function createSegmentOverride({ tx, record }: Change, clientKey: string, input: SegmentOverrideCreate) {
  const environment = await environmentByKey(tx, clientKey);
  const feature = await featureByName(tx, environment.project_id, input.feature);
  const [segment] = await tx.query('SELECT 1 FROM segments WHERE id = $1 AND project_id = $2', [input.segment_id, environment.project_id]);
  if (!segment) throw notFound(`Segment ${input.segment_id} not found in this project`);
  const [existing] = await tx.query('SELECT 1 FROM feature_states WHERE environment_id = $1 AND feature_id = $2 AND segment_id = $3', [
    environment.id,
    feature.id,
    input.segment_id,
  ]);
  if (existing) throw conflict(`Segment ${input.segment_id} already overrides '${input.feature}' here`);
  const priority =
    input.priority ??
    (
      await tx.query<{ next: number }>(
        'SELECT COALESCE(max(priority) + 1, 0) AS next FROM feature_states WHERE environment_id = $1 AND feature_id = $2 AND segment_id IS NOT NULL',
        [environment.id, feature.id],
      )
    )[0].next;
  const [state] = await tx.query<{ id: number }>(
    `INSERT INTO feature_states (environment_id, feature_id, segment_id, enabled, value, priority, uuid)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7) RETURNING id`,
    [environment.id, feature.id, input.segment_id, input.enabled, json(input.value), priority, randomUUID()],
  );
  if (input.multivariate) await applyStateUpdate(tx, state.id, feature.id, { multivariate: input.multivariate });
  const after = await featureStateView(tx, state.id);
  record({ action: 'create', entityType: 'segment_override', entityId: state.id, environmentId: environment.id, after });
  return after;
}

export async function updateSegmentOverride(change: Change, clientKey: string, id: number, input: SegmentOverrideUpdate) {
  const environment = await environmentByKey(change.tx, clientKey);
  const row = await segmentOverrideRow(change.tx, environment.id, id);
  return updateStateAudited(
    change,
    { stateId: id, featureId: row.feature_id, environmentId: environment.id, entityType: 'segment_override' },
    input,
  );
}

export async function deleteSegmentOverride({ tx, record }: Change, clientKey: string, id: number) {
  const environment = await environmentByKey(tx, clientKey);
  await segmentOverrideRow(tx, environment.id, id);
  await lockRow(tx, 'feature_states', id);
  const before = await featureStateView(tx, id);
  await tx.query('DELETE FROM feature_states WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'segment_override', entityId: id, environmentId: environment.id, before });
}
