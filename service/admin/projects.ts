/** Projects, their environments and the environments' server keys. */
import { randomBytes, randomUUID } from 'node:crypto';
import { conflict, notFound } from '../errors';
import type { EnvironmentCreate, EnvironmentUpdate, ProjectCreate, ProjectUpdate } from '../schemas/admin';
import type { Queryable } from '../storage/database';
import { environmentByKey, lockRow, projectById, type EnvironmentRow } from './lookups';
import { hashSecret, newSecret } from '../secrets';
import type { Change } from './writer';

export const listProjects = (tx: Queryable) => tx.query('SELECT * FROM projects ORDER BY id');
export const getProject = projectById;

export async function createProject({ tx, record }: Change, input: ProjectCreate) {
  const [project] = await tx.query<{ id: number }>(
    'INSERT INTO projects (name, hide_disabled_flags) VALUES ($1, $2) RETURNING *',
    [input.name, input.hide_disabled_flags ?? false],
  );
  record({ action: 'create', entityType: 'project', entityId: project.id, projectId: project.id, after: project });
  return project;
}

export async function updateProject({ tx, record }: Change, id: number, input: ProjectUpdate) {
  await lockRow(tx, 'projects', id);
  const before = await projectById(tx, id);
  const [after] = await tx.query(
    'UPDATE projects SET name = COALESCE($2, name), hide_disabled_flags = COALESCE($3, hide_disabled_flags) WHERE id = $1 RETURNING *',
    [id, input.name ?? null, input.hide_disabled_flags ?? null],
  );
  record({ action: 'update', entityType: 'project', entityId: id, projectId: id, before, after });
  return after;
}

export async function deleteProject({ tx, record }: Change, id: number) {
  await lockRow(tx, 'projects', id);
  const before = await projectById(tx, id);
  const environments = await tx.query<{ id: number }>('SELECT id FROM environments WHERE project_id = $1', [id]);
  await tx.query('DELETE FROM projects WHERE id = $1', [id]);
  record({ action: 'delete', entityType: 'project', entityId: id, before });
  for (const env of environments) record({ action: 'delete', entityType: 'environment', entityId: env.id, environmentId: env.id });
}

export const listEnvironments = async (tx: Queryable, projectId: number) => {
  await projectById(tx, projectId);
  return tx.query('SELECT * FROM environments WHERE project_id = $1 ORDER BY id', [projectId]);
};

/** Creates an environment with a state for every feature of its project (the features' defaults). */
export async function createEnvironment({ tx, record }: Change, projectId: number, input: EnvironmentCreate): Promise<EnvironmentRow> {
  await projectById(tx, projectId);
  const clientKey = input.client_key ?? randomBytes(16).toString('base64url');
  const [taken] = await tx.query('SELECT 1 FROM environments WHERE client_key = $1', [clientKey]);
  if (taken) throw conflict(`Client key '${clientKey}' is taken`);
  const [environment] = await tx.query<EnvironmentRow>(
    'INSERT INTO environments (project_id, name, client_key, allow_client_traits) VALUES ($1, $2, $3, $4) RETURNING *',
    [projectId, input.name, clientKey, input.allow_client_traits ?? true],
  );
  const features = await tx.query<{ id: number; default_enabled: boolean; initial_value: unknown }>(
    'SELECT id, default_enabled, initial_value FROM features WHERE project_id = $1 ORDER BY id',
    [projectId],
  );
  for (const feature of features) await createDefaultState(tx, environment.id, feature);
  record({ action: 'create', entityType: 'environment', entityId: environment.id, environmentId: environment.id, after: environment });
  return environment;
}

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

export async function updateEnvironment({ tx, record }: Change, clientKey: string, input: EnvironmentUpdate) {
  const before = await environmentByKey(tx, clientKey, { forUpdate: true });
  const [after] = await tx.query(
    `UPDATE environments SET name = COALESCE($2, name), allow_client_traits = COALESCE($3, allow_client_traits)
      WHERE id = $1 RETURNING *`,
    [before.id, input.name ?? null, input.allow_client_traits ?? null],
  );
  record({ action: 'update', entityType: 'environment', entityId: before.id, environmentId: before.id, before, after });
  return after;
}

export async function deleteEnvironment({ tx, record }: Change, clientKey: string) {
  const before = await environmentByKey(tx, clientKey, { forUpdate: true });
  await tx.query('DELETE FROM environments WHERE id = $1', [before.id]);
  record({ action: 'delete', entityType: 'environment', entityId: before.id, environmentId: before.id, before });
}

export async function listServerKeys(tx: Queryable, clientKey: string) {
  const environment = await environmentByKey(tx, clientKey);
  return tx.query('SELECT id, name, key_prefix, created_at FROM server_keys WHERE environment_id = $1 ORDER BY id', [
    environment.id,
  ]);
}

/** Creates a server key; the key itself is returned this once and only its hash is kept. */
export async function createServerKey({ tx, record }: Change, clientKey: string, name: string) {
  const environment = await environmentByKey(tx, clientKey);
  const key = newSecret('ser.');
  const [row] = await tx.query<{ id: number; key_prefix: string }>(
    'INSERT INTO server_keys (environment_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4) RETURNING id, key_prefix',
    [environment.id, hashSecret(key), key.slice(0, 8), name],
  );
  record({ action: 'create', entityType: 'server_key', entityId: row.id, environmentId: environment.id, after: { name, key_prefix: row.key_prefix } });
  return { id: row.id, key };
}

export async function deleteServerKey({ tx, record }: Change, clientKey: string, id: number) {
  const environment = await environmentByKey(tx, clientKey);
  const [before] = await tx.query('DELETE FROM server_keys WHERE id = $1 AND environment_id = $2 RETURNING id, name, key_prefix', [
    id,
    environment.id,
  ]);
  if (!before) throw notFound(`Server key ${id} not found`);
  record({ action: 'delete', entityType: 'server_key', entityId: id, environmentId: environment.id, before });
}
