/** Every stored row, table by table: what a test compares before and after to prove nothing changed. */
import type { Queryable } from '../../service/storage/database';

const TABLES = [
  'projects',
  'environments',
  'server_keys',
  'features',
  'multivariate_options',
  'segments',
  'identities',
  'traits',
  'feature_states',
  'multivariate_allocations',
  'flag_analytics',
  'admin_tokens',
  'audit_log',
];

export async function storedState(db: Queryable): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const table of TABLES) state[table] = await db.query(`SELECT * FROM ${table} ORDER BY 1, 2`);
  return state;
}
