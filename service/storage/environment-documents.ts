/**
 * Builds an environment's Flagsmith environment document from the tables, plus the per-feature
 * metadata the SDK flag responses carry. This is the only read path behind the in-memory flags.
 */
import type {
  DocumentFeatureState,
  EnvironmentDocument,
  FlagValue,
  MultivariateFeatureStateValue,
  SegmentRule,
} from '../schemas/environment-document';
import type { Database, Queryable } from './database';

/** What `GET /api/v1/flags/` says about a feature beyond the document's id, name and type. */
export interface FeatureMetadata {
  id: number;
  name: string;
  type: 'STANDARD' | 'MULTIVARIATE';
  description: string | null;
  initialValue: FlagValue;
  defaultEnabled: boolean;
  createdDate: string;
  serverKeyOnly: boolean;
}

export interface LoadedEnvironment {
  environmentId: number;
  document: EnvironmentDocument;
  features: ReadonlyMap<number, FeatureMetadata>;
  updatedAt: Date;
  /** `updated_at` in microseconds since the epoch: it grows with every change (see AdminWriter). */
  version: number;
}

/** The keys that reach an environment: its client key and the hashes of its server keys. */
export interface EnvironmentKeyRow {
  environment_id: number;
  client_key: string;
  server_key_hashes: string[] | null;
}

/** The keys of every environment, or of one. */
export async function loadEnvironmentKeys(db: Queryable, environmentId?: number): Promise<EnvironmentKeyRow[]> {
  return db.query<EnvironmentKeyRow>(
    `SELECT e.id AS environment_id, e.client_key,
            array_agg(k.key_hash) FILTER (WHERE k.key_hash IS NOT NULL) AS server_key_hashes
       FROM environments e LEFT JOIN server_keys k ON k.environment_id = e.id
      WHERE $1::int IS NULL OR e.id = $1
      GROUP BY e.id, e.client_key`,
    [environmentId ?? null],
  );
}

/** An environment's version: `updated_at` in microseconds since the epoch (exact in a float8). */
const versionOf = (column: string) => `(extract(epoch from ${column}) * 1000000)::float8`;

/** Every environment's id and version. */
export async function loadEnvironmentVersions(db: Queryable): Promise<{ id: number; version: number }[]> {
  return db.query(`SELECT id, ${versionOf('updated_at')} AS version FROM environments`);
}

interface FeatureStateRow {
  id: number;
  feature_id: number;
  segment_id: number | null;
  identity_id: number | null;
  enabled: boolean;
  value: FlagValue;
  priority: number | null;
  hash_key: string | null;
  uuid: string;
}

/**
 * Runs `work` on one read-only snapshot, so that the several queries reading an environment see a
 * concurrent admin write whole or not at all.
 */
export function inOneSnapshot<T>(db: Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return work(tx);
  });
}

/** Loads one environment's document, or undefined when the environment does not exist. */
export async function loadEnvironment(db: Queryable, environmentId: number): Promise<LoadedEnvironment | undefined> {
  const [environment] = await db.query<{
    id: number;
    name: string;
    client_key: string;
    allow_client_traits: boolean;
    updated_at: Date;
    version: number;
    project_id: number;
    project_name: string;
    project_document_id: number;
    hide_disabled_flags: boolean;
    environment_hide_disabled_flags: boolean | null;
  }>(
    `SELECT e.id, e.name, e.client_key, e.allow_client_traits, e.updated_at, ${versionOf('e.updated_at')} AS version,
            p.id AS project_id, COALESCE(p.document_id, p.id)::float8 AS project_document_id, p.name AS project_name,
            p.hide_disabled_flags, e.hide_disabled_flags AS environment_hide_disabled_flags
       FROM environments e JOIN projects p ON p.id = e.project_id WHERE e.id = $1`,
    [environmentId],
  );
  if (!environment) return undefined;

  // One query after another: `db` may be a transaction's single connection.
  const featureRows = await db.query<{
    id: number;
    name: string;
    type: 'STANDARD' | 'MULTIVARIATE';
    description: string | null;
    initial_value: FlagValue;
    default_enabled: boolean;
    server_key_only: boolean;
    created_at: Date;
  }>('SELECT * FROM features WHERE project_id = $1 ORDER BY id', [environment.project_id]);
  const stateRows = await db.query<FeatureStateRow>(
    `SELECT id, feature_id, segment_id, identity_id, enabled, value, priority, hash_key, uuid
       FROM feature_states WHERE environment_id = $1 ORDER BY id`,
    [environmentId],
  );
  const allocationRows = await db.query<{
    id: number;
    feature_state_id: number;
    option_id: number;
    percentage_allocation: number;
    uuid: string;
    value: FlagValue;
  }>(
    // An imported document's ids are kept: a state's variants split in the order of their allocation ids.
    `SELECT COALESCE(a.document_id, a.id)::float8 AS id, a.feature_state_id, COALESCE(o.document_id, o.id)::float8 AS option_id,
            a.percentage_allocation, a.uuid, o.value
       FROM multivariate_allocations a
       JOIN feature_states s ON s.id = a.feature_state_id
       JOIN multivariate_options o ON o.id = a.option_id
      WHERE s.environment_id = $1 ORDER BY a.id`,
    [environmentId],
  );
  const segmentRows = await db.query<{ id: number; name: string; rules: SegmentRule[]; hash_key: string | null }>(
    'SELECT id, name, rules, hash_key FROM segments WHERE project_id = $1 ORDER BY id',
    [environment.project_id],
  );
  const identityRows = await db.query<{ id: number; identifier: string; created_at: Date }>(
    `SELECT id, identifier, created_at FROM identities
      WHERE id IN (SELECT identity_id FROM feature_states WHERE environment_id = $1 AND identity_id IS NOT NULL)
      ORDER BY id`,
    [environmentId],
  );

  const features = new Map<number, FeatureMetadata>();
  for (const row of featureRows) {
    features.set(row.id, {
      id: row.id,
      name: row.name,
      type: row.type,
      description: row.description,
      initialValue: row.initial_value,
      defaultEnabled: row.default_enabled,
      createdDate: row.created_at.toISOString(),
      serverKeyOnly: row.server_key_only,
    });
  }

  const allocationsByState = groupBy(allocationRows, (row) => row.feature_state_id);
  const toDocumentState = (row: FeatureStateRow): DocumentFeatureState => {
    const feature = features.get(row.feature_id)!;
    const hashKey = row.hash_key ?? String(row.id);
    const numericKey = /^\d+$/.test(hashKey);
    return {
      feature: { id: feature.id, name: feature.name, type: feature.type },
      enabled: row.enabled,
      django_id: numericKey ? Number(hashKey) : null,
      feature_state_value: row.value,
      featurestate_uuid: numericKey ? row.uuid : hashKey,
      feature_segment: row.segment_id === null ? null : { priority: row.priority },
      multivariate_feature_state_values: (allocationsByState.get(row.id) ?? []).map((a): MultivariateFeatureStateValue => ({
        id: a.id,
        multivariate_feature_option: { id: a.option_id, value: a.value },
        percentage_allocation: a.percentage_allocation,
        mv_fs_value_uuid: a.uuid,
      })),
    };
  };

  const defaults = stateRows.filter((row) => row.segment_id === null && row.identity_id === null);
  const bySegment = groupBy(
    stateRows.filter((row) => row.segment_id !== null),
    (row) => row.segment_id!,
  );
  const byIdentity = groupBy(
    stateRows.filter((row) => row.identity_id !== null),
    (row) => row.identity_id!,
  );

  const document: EnvironmentDocument = {
    id: environment.id,
    api_key: environment.client_key,
    name: environment.name,
    project: {
      id: environment.project_document_id,
      name: environment.project_name,
      organisation: {
        id: 1,
        name: 'flagstack',
        feature_analytics: true,
        stop_serving_flags: false,
        persist_trait_data: true,
      },
      hide_disabled_flags: environment.hide_disabled_flags,
      segments: segmentRows.map((segment) => ({
        id: segment.hash_key ? Number(segment.hash_key) : segment.id,
        name: segment.name,
        rules: segment.rules,
        feature_states: (bySegment.get(segment.id) ?? []).map(toDocumentState),
      })),
      server_key_only_feature_ids: featureRows.filter((f) => f.server_key_only).map((f) => f.id),
    },
    feature_states: defaults.map(toDocumentState),
    identity_overrides: identityRows.map((identity) => ({
      identifier: identity.identifier,
      identity_uuid: `${environment.client_key}:${identity.id}`,
      created_date: identity.created_at.toISOString(),
      environment_api_key: environment.client_key,
      django_id: identity.id,
      identity_features: (byIdentity.get(identity.id) ?? []).map(toDocumentState),
      identity_traits: [],
    })),
    allow_client_traits: environment.allow_client_traits,
    hide_sensitive_data: false,
    hide_disabled_flags: environment.environment_hide_disabled_flags,
    use_identity_composite_key_for_hashing: true,
    use_identity_overrides_in_local_eval: true,
    updated_at: environment.updated_at.toISOString(),
  };
  return { environmentId: environment.id, document, features, updatedAt: environment.updated_at, version: environment.version };
}

function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}
