/** Row lookups shared by the admin operations; each throws a 404 naming what is missing. */
import { notFound } from '../errors';
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
  const [row] = await tx.query<EnvironmentRow>(`SELECT * FROM environments WHERE client_key = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
    clientKey,
  ]);
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
type AuditedTable = 'projects' | 'features' | 'multivariate_options' | 'segments' | 'feature_states' | 'identities';

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
