/**
 * The tables a whole-instance copy carries, in parent→child order (foreign keys point backwards in
 * the list), each with its primary key. Not copied: schema_migrations (compared instead), and the
 * instance's own bookkeeping of moves (instance, moves, change_log), which belongs to each side.
 */
export interface CopiedTable {
  readonly name: string;
  /** The primary key's columns: rows are read, compared and paged in this order. */
  readonly key: readonly string[];
  /**
   * Key columns of type text. They are compared and ordered byte-wise (COLLATE "C"), so that both
   * sides page through rows in one order whatever their databases' default collations.
   */
  readonly textKey?: readonly string[];
  /** The serial column whose sequence is moved past the largest copied value. */
  readonly serial?: string;
  /**
   * Its other unique keys, as column sets compared with IS NOT DISTINCT FROM (one set covers the three
   * partial unique indexes of feature_states: a default, a segment override, an identity override).
   * A live move clears a target row that holds one of them under another primary key (see clearUniqueConflicts).
   */
  readonly unique?: readonly (readonly string[])[];
}

export const COPIED_TABLES: readonly CopiedTable[] = [
  { name: 'projects', key: ['id'], serial: 'id' },
  { name: 'environments', key: ['id'], serial: 'id', unique: [['client_key']] },
  { name: 'server_keys', key: ['id'], serial: 'id', unique: [['key_hash']] },
  { name: 'admin_tokens', key: ['id'], serial: 'id', unique: [['token_hash']] },
  { name: 'features', key: ['id'], serial: 'id', unique: [['project_id', 'name']] },
  { name: 'multivariate_options', key: ['id'], serial: 'id' },
  { name: 'segments', key: ['id'], serial: 'id' },
  { name: 'identities', key: ['id'], serial: 'id', unique: [['environment_id', 'identifier']] },
  { name: 'feature_states', key: ['id'], serial: 'id', unique: [['environment_id', 'feature_id', 'segment_id', 'identity_id']] },
  { name: 'multivariate_allocations', key: ['id'], serial: 'id', unique: [['feature_state_id', 'option_id']] },
  { name: 'flag_analytics', key: ['environment_id', 'feature_name', 'bucket'], textKey: ['feature_name'] },
  { name: 'audit_log', key: ['id'], serial: 'id' },
];

/** The copied table of that name; throws for any other name (a table name is never taken from input unchecked). */
export function copiedTable(name: string): CopiedTable {
  const table = COPIED_TABLES.find((candidate) => candidate.name === name);
  if (!table) throw new Error(`${name} is not a copied table`);
  return table;
}
