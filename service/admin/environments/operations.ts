/** Environments of a project, named by their client key. */
import { randomBytes } from 'node:crypto';
import { conflict } from '../../errors';
import type { Queryable } from '../../storage/database';
import { createDefaultState } from '../feature-states/operations';
import { environmentByKey, projectById, type EnvironmentRow } from '../lookups';
import type { Change } from '../writer';
import type { EnvironmentCreate, EnvironmentUpdate } from './schemas';

export const listEnvironments = async (tx: Queryable, projectId: number) => {
  await projectById(tx, projectId);
  return tx.query('SELECT * FROM environments WHERE project_id = $1 ORDER BY id', [projectId]);
};

export const getEnvironment = (tx: Queryable, clientKey: string) => environmentByKey(tx, clientKey);

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
