/** Row lookups shared by the admin operations; each throws a 404 naming what is missing. */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../errors';
import type { Allocation } from '../schemas/admin';
import type { Queryable } from '../storage/database';

export interface EnvironmentRow {
  id: number;
  project_id: number;
  name: string;
  client_key: string;
  allow_client_traits: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The environment of a client key; with `forUpdate`, locked (see lockRow) and so as it is now. */
export async function environmentByKey(tx: Queryable, clientKey: string, { forUpdate = false } = {}): Promise<EnvironmentRow> {
  const [row] = await tx.query<EnvironmentRow>(`SELECT * FROM environments WHERE client_key = $1${forUpdate ? ' FOR UPDATE' : ''}`, [clientKey]);
  if (!row) throw notFound(`Environment '${clientKey}' not found`);
  return row;
}

export async function projectById(tx: Queryable, projectId: number): Promise<{ id: number; name: string; hide_disabled_flags: boolean }> {
  const [row] = await tx.query<{ id: number; name: string; hide_disabled_flags: boolean }>(
    'SELECT id, name, hide_disabled_flags FROM projects WHERE id = $1',
    [projectId],
  );
  if (!row) throw notFound(`Project ${projectId} not found`);
  return row;
}

/** The tables whose rows an admin change reads before it changes them. */
export type AuditedTable = 'projects' | 'features' | 'multivariate_options' | 'segments' | 'feature_states' | 'identities';

/**
 * Takes a row's lock for the rest of the transaction before its `before` is read for the audit log:
 * the read then sees the last committed change (which it replaces), and concurrent changes to the
 * row line up behind this one, so each audit row's `before` is the previous one's `after`.
 */
export async function lockRow(tx: Queryable, table: AuditedTable, id: number): Promise<void> {
  await tx.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
}

export interface FeatureRow {
  id: number;
  project_id: number;
  name: string;
  type: 'STANDARD' | 'MULTIVARIATE';
  description: string | null;
  server_key_only: boolean;
  default_enabled: boolean;
  initial_value: unknown;
  created_at: Date;
}

export async function featureByName(tx: Queryable, projectId: number, name: string): Promise<FeatureRow> {
  const [row] = await tx.query<FeatureRow>('SELECT * FROM features WHERE project_id = $1 AND name = $2', [projectId, name]);
  if (!row) throw notFound(`Feature '${name}' not found`);
  return row;
}

export async function featureById(tx: Queryable, id: number): Promise<FeatureRow> {
  const [row] = await tx.query<FeatureRow>('SELECT * FROM features WHERE id = $1', [id]);
  if (!row) throw notFound(`Feature ${id} not found`);
  return row;
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

/**
 * Replaces a feature state's multivariate allocations, keeping the rows (and so the ids, which order
 * the variants for hashing) of options that stay.
 */
export async function setAllocations(
  tx: Queryable,
  featureStateId: number,
  featureId: number,
  allocations: readonly Allocation[],
): Promise<void> {
  const total = allocations.reduce((sum, a) => sum + a.percentage_allocation, 0);
  if (total > 100 + 1e-9) throw badRequest(`Multivariate allocations add up to ${total}%, more than 100%`);
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
      `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid) VALUES ($1, $2, $3, $4)
       ON CONFLICT (feature_state_id, option_id) DO UPDATE SET percentage_allocation = EXCLUDED.percentage_allocation`,
      [featureStateId, allocation.option_id, allocation.percentage_allocation, randomUUID()],
    );
  }
}
