/** Features of a project and their multivariate options (each environment's state of a feature: feature-states/). */
import { conflict, notFound } from '../../errors';
import { json, type Queryable } from '../../storage/database';
import { assertAllocationsFit, createDefaultState, NEXT_DOCUMENT_ALLOCATION_ID } from '../feature-states/operations';
import { featureById, lockRow, projectById } from '../lookups';
import type { Change } from '../writer';
import type { FeatureCreate, FeatureUpdate, MultivariateOptionCreate, MultivariateOptionUpdate } from './schemas';

export const listFeatures = async (tx: Queryable, projectId: number) => {
  await projectById(tx, projectId);
  return tx.query('SELECT * FROM features WHERE project_id = $1 ORDER BY id', [projectId]);
};

export async function getFeature(tx: Queryable, id: number) {
  const feature = await featureById(tx, id);
  const multivariate_options = await tx.query('SELECT * FROM multivariate_options WHERE feature_id = $1 ORDER BY id', [id]);
  return { ...feature, multivariate_options };
}

/** Creates a feature, its options, and its default state in every environment of the project. */
export async function createFeature(change: Change, projectId: number, input: FeatureCreate) {
  const { tx, record } = change;
  await projectById(tx, projectId);
  const [existing] = await tx.query('SELECT 1 FROM features WHERE project_id = $1 AND name = $2', [projectId, input.name]);
  if (existing) throw conflict(`Feature '${input.name}' already exists in project ${projectId}`);
  const options = input.multivariate_options ?? [];
  assertAllocationsFit(
    options.map((option) => option.default_percentage_allocation ?? 0),
    "Multivariate options' default allocations",
  );
  const [feature] = await tx.query<{ id: number; default_enabled: boolean; initial_value: unknown }>(
    `INSERT INTO features (project_id, name, type, description, server_key_only, default_enabled, initial_value)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *`,
    [
      projectId,
      input.name,
      input.type ?? (options.length > 0 ? 'MULTIVARIATE' : 'STANDARD'),
      input.description ?? null,
      input.server_key_only ?? false,
      input.default_enabled ?? false,
      json(input.initial_value),
    ],
  );
  for (const option of options) await insertOption(tx, feature.id, option);
  const environments = await tx.query<{ id: number }>('SELECT id FROM environments WHERE project_id = $1', [projectId]);
  for (const environment of environments) await createDefaultState(tx, environment.id, feature);
  const after = await getFeature(tx, feature.id);
  record({ action: 'create', entityType: 'feature', entityId: feature.id, projectId, after });
  return after;
}

export async function updateFeature({ tx, record }: Change, id: number, input: FeatureUpdate) {
  await lockRow(tx, 'features', id);
  const before = await getFeature(tx, id);
  await tx.query(
    `UPDATE features SET
       description = CASE WHEN $2 THEN $3 ELSE description END,
       server_key_only = COALESCE($4, server_key_only),
       default_enabled = COALESCE($5, default_enabled),
       initial_value = CASE WHEN $6 THEN $7::jsonb ELSE initial_value END
     WHERE id = $1`,
    [
      id,
      'description' in input,
      input.description ?? null,
      input.server_key_only ?? null,
      input.default_enabled ?? null,
      'initial_value' in input,
      json(input.initial_value),
    ],
  );
  const after = await getFeature(tx, id);
  record({ action: 'update', entityType: 'feature', entityId: id, projectId: before.project_id, before, after });
  return after;
}

export async function deleteFeature({ tx, record }: Change, id: number) {
  await lockRow(tx, 'features', id);
  const before = await getFeature(tx, id);
  await tx.query('DELETE FROM features WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'feature', entityId: id, projectId: before.project_id, before });
}

async function insertOption(tx: Queryable, featureId: number, option: MultivariateOptionCreate) {
  const [row] = await tx.query<{ id: number }>(
    'INSERT INTO multivariate_options (feature_id, value, default_percentage_allocation) VALUES ($1, $2::jsonb, $3) RETURNING *',
    [featureId, json(option.value), option.default_percentage_allocation ?? 0],
  );
  return row;
}

/** Adds an option, allocated its default percentage in every environment's default state. */
export async function createOption({ tx, record }: Change, featureId: number, input: MultivariateOptionCreate) {
  const feature = await featureById(tx, featureId);
  const option = await insertOption(tx, featureId, input);
  await tx.query("UPDATE features SET type = 'MULTIVARIATE' WHERE id = $1", [featureId]);
  await tx.query(
    `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid, document_id)
     SELECT s.id, $2, $3, md5(random()::text || s.id::text), ${NEXT_DOCUMENT_ALLOCATION_ID('s.id')} FROM feature_states s
      WHERE s.feature_id = $1 AND s.segment_id IS NULL AND s.identity_id IS NULL`,
    [featureId, option.id, input.default_percentage_allocation ?? 0],
  );
  await assertAllocationsWithinLimit(tx, featureId);
  record({ action: 'create', entityType: 'multivariate_option', entityId: option.id, projectId: feature.project_id, after: option });
  return option;
}

export async function updateOption({ tx, record }: Change, id: number, input: MultivariateOptionUpdate) {
  await lockRow(tx, 'multivariate_options', id);
  const before = await optionById(tx, id);
  const [after] = await tx.query(
    `UPDATE multivariate_options SET value = CASE WHEN $2 THEN $3::jsonb ELSE value END,
       default_percentage_allocation = COALESCE($4, default_percentage_allocation) WHERE id = $1 RETURNING *`,
    [id, 'value' in input, json(input.value), input.default_percentage_allocation ?? null],
  );
  record({ action: 'update', entityType: 'multivariate_option', entityId: id, projectId: before.project_id, before, after });
  return after;
}

export async function deleteOption({ tx, record }: Change, id: number) {
  await lockRow(tx, 'multivariate_options', id);
  const before = await optionById(tx, id);
  await tx.query('DELETE FROM multivariate_options WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'multivariate_option', entityId: id, projectId: before.project_id, before });
}

async function optionById(tx: Queryable, id: number) {
  const [row] = await tx.query<{ id: number; feature_id: number; project_id: number }>(
    'SELECT o.*, f.project_id FROM multivariate_options o JOIN features f ON f.id = o.feature_id WHERE o.id = $1',
    [id],
  );
  if (!row) throw notFound(`Multivariate option ${id} not found`);
  return row;
}

async function assertAllocationsWithinLimit(tx: Queryable, featureId: number) {
  const [over] = await tx.query<{ total: number }>(
    `SELECT sum(a.percentage_allocation)::float8 AS total FROM multivariate_allocations a
       JOIN feature_states s ON s.id = a.feature_state_id WHERE s.feature_id = $1
      GROUP BY a.feature_state_id HAVING sum(a.percentage_allocation) > 100 LIMIT 1`,
    [featureId],
  );
  if (over) throw conflict(`Allocations would add up to ${over.total}%, more than 100%`);
}
