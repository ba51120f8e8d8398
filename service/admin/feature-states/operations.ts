/**
 * Feature states: a feature's value in an environment. The environment default is read and changed
 * here; segment overrides are feature states too, and share the view and the audited update (identity
 * overrides are set whole, in identities/).
 */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../../errors';
import { json, type Queryable } from '../../storage/database';
import { environmentByKey, featureByName, lockRow } from '../lookups';
import type { Change } from '../writer';
import type { Allocation, FeatureStateUpdate } from './schemas';

/** An environment's default state for a feature, with allocations from the options' default percentages. */
export async function createDefaultState(
  tx: Queryable,
  environmentId: number,
  feature: { id: number; default_enabled: boolean; initial_value: unknown },
): Promise<void> {
  const [state] = await tx.query<{ id: number }>(
    `INSERT INTO feature_states (environment_id, feature_id, enabled, value, uuid) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id`,
    [environmentId, feature.id, feature.default_enabled, JSON.stringify(feature.initial_value ?? null), randomUUID()],
  );
  await tx.query(
    `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid)
     SELECT $1, id, default_percentage_allocation, md5(random()::text || id::text) FROM multivariate_options
      WHERE feature_id = $2 ORDER BY id`,
    [state.id, feature.id],
  );
}

/** A feature state with its multivariate allocations, as the admin API shows it. */
export async function featureStateView(tx: Queryable, featureStateId: number): Promise<Record<string, unknown>> {
  const [state] = await tx.query<Record<string, unknown>>(
    `SELECT s.id, f.name AS feature, s.feature_id, s.segment_id, s.enabled, s.value, s.priority, s.updated_at
       FROM feature_states s JOIN features f ON f.id = s.feature_id WHERE s.id = $1`,
    [featureStateId],
  );
  if (!state) throw notFound(`Feature state ${featureStateId} not found`);
  const multivariate = await tx.query(
    'SELECT option_id, percentage_allocation FROM multivariate_allocations WHERE feature_state_id = $1 ORDER BY id',
    [featureStateId],
  );
  return { ...state, multivariate };
}

/** 400 when percentages add up to more than 100 (`what` names them in the message). */
export function assertAllocationsFit(percentages: readonly number[], what: string): void {
  const total = percentages.reduce((sum, percentage) => sum + percentage, 0);
  if (total > 100 + 1e-9) throw badRequest(`${what} add up to ${total}%, more than 100%`);
}

/**
 * Replaces a feature state's multivariate allocations, keeping the rows (and so the ids, which order
 * the variants for hashing) of options that stay.
 */
async function setAllocations(tx: Queryable, featureStateId: number, featureId: number, allocations: readonly Allocation[]): Promise<void> {
  assertAllocationsFit(
    allocations.map((a) => a.percentage_allocation),
    'Multivariate allocations',
  );
  const optionIds = allocations.map((a) => a.option_id);
  if (new Set(optionIds).size !== optionIds.length) throw badRequest('An option appears twice in the allocations');
  const known = await tx.query<{ id: number }>('SELECT id FROM multivariate_options WHERE feature_id = $1 AND id = ANY($2::int[])', [
    featureId,
    optionIds,
  ]);
  const missing = optionIds.filter((id) => !known.some((row) => row.id === id));
  if (missing.length > 0) throw badRequest(`Multivariate option(s) ${missing.join(', ')} do not belong to this feature`);
  await tx.query('DELETE FROM multivariate_allocations WHERE feature_state_id = $1 AND NOT (option_id = ANY($2::int[]))', [
    featureStateId,
    optionIds,
  ]);
  for (const allocation of allocations) {
    await tx.query(
      `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid, document_id)
       VALUES ($1, $2, $3, $4, ${NEXT_DOCUMENT_ALLOCATION_ID('$1')})
       ON CONFLICT (feature_state_id, option_id) DO UPDATE SET percentage_allocation = EXCLUDED.percentage_allocation`,
      [featureStateId, allocation.option_id, allocation.percentage_allocation, randomUUID()],
    );
  }
}

/**
 * The document id a new allocation of state `stateRef` (an SQL expression) takes: after the state's
 * last when its allocations keep an imported document's ids (the split walks them by id, so a new
 * variant must not jump ahead of the others and move every identity), else none (its own id,
 * larger than the others', does the same).
 */
export const NEXT_DOCUMENT_ALLOCATION_ID = (stateRef: string) =>
  `(SELECT CASE WHEN bool_or(a.document_id IS NOT NULL) THEN max(COALESCE(a.document_id, a.id)) + 1 END
      FROM multivariate_allocations a WHERE a.feature_state_id = ${stateRef})`;

/** Updates a feature state row (a default or a segment override) in place. */
export async function applyStateUpdate(
  tx: Queryable,
  stateId: number,
  featureId: number,
  input: FeatureStateUpdate & { priority?: number },
) {
  await tx.query(
    `UPDATE feature_states SET enabled = COALESCE($2, enabled), value = CASE WHEN $3 THEN $4::jsonb ELSE value END,
       priority = COALESCE($5, priority), updated_at = now() WHERE id = $1`,
    [stateId, input.enabled ?? null, 'value' in input, json(input.value), input.priority ?? null],
  );
  if (input.multivariate) await setAllocations(tx, stateId, featureId, input.multivariate);
}

/** The environment default state of a feature. */
async function defaultStateId(tx: Queryable, clientKey: string, featureName: string) {
  const environment = await environmentByKey(tx, clientKey);
  const feature = await featureByName(tx, environment.project_id, featureName);
  const [state] = await tx.query<{ id: number }>(
    'SELECT id FROM feature_states WHERE environment_id = $1 AND feature_id = $2 AND segment_id IS NULL AND identity_id IS NULL',
    [environment.id, feature.id],
  );
  if (!state) throw notFound(`Feature '${featureName}' has no state in this environment`);
  return { environment, feature, stateId: state.id };
}

export async function getFeatureState(tx: Queryable, clientKey: string, featureName: string) {
  const { stateId } = await defaultStateId(tx, clientKey, featureName);
  return featureStateView(tx, stateId);
}

export async function updateFeatureState(change: Change, clientKey: string, featureName: string, input: FeatureStateUpdate) {
  const { environment, feature, stateId } = await defaultStateId(change.tx, clientKey, featureName);
  return updateStateAudited(change, { stateId, featureId: feature.id, environmentId: environment.id, entityType: 'feature_state' }, input);
}

/** Updates a feature state under its row lock and records it: a default state or a segment override. */
export async function updateStateAudited(
  { tx, record }: Change,
  state: { stateId: number; featureId: number; environmentId: number; entityType: 'feature_state' | 'segment_override' },
  input: FeatureStateUpdate & { priority?: number },
) {
  await lockRow(tx, 'feature_states', state.stateId);
  const before = await featureStateView(tx, state.stateId);
  await applyStateUpdate(tx, state.stateId, state.featureId, input);
  const after = await featureStateView(tx, state.stateId);
  record({ action: 'update', entityType: state.entityType, entityId: state.stateId, environmentId: state.environmentId, before, after });
  return after;
}
