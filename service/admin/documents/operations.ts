/**
 * Environment documents in and out. Import replaces an environment's whole configuration with a
 * Flagsmith environment document, creating the environment if needed. Rows are matched and updated
 * in place rather than recreated, so importing an exported document changes nothing, and hash keys
 * (feature-state django_ids, segment ids) are kept so that splits land the same way after a move.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../../errors';
import type { DocumentFeatureState, EnvironmentDocument } from '../../schemas/environment-document';
import { json, type Queryable } from '../../storage/database';
import { loadEnvironment } from '../../storage/environment-documents';
import { assertAllocationsFit, createDefaultState } from '../feature-states/operations';
import { type EnvironmentRow } from '../lookups';
import { assertUsableRules } from '../segments/operations';
import { upsertIdentity } from '../identities/operations';
import type { Change } from '../writer';

export async function exportDocument(tx: Queryable, clientKey: string): Promise<EnvironmentDocument> {
  const [environment] = await tx.query<{ id: number }>('SELECT id FROM environments WHERE client_key = $1', [clientKey]);
  const loaded = environment && (await loadEnvironment(tx, environment.id));
  if (!loaded) throw notFound(`Environment '${clientKey}' not found`);
  return loaded.document;
}

interface DesiredState {
  featureId: number;
  segmentId: number | null;
  identityId: number | null;
  source: DocumentFeatureState;
}

const stateKey = (featureId: number, segmentId: number | null, identityId: number | null) => `${featureId}/${segmentId}/${identityId}`;

export async function importDocument(
  { tx, record }: Change,
  clientKey: string,
  doc: EnvironmentDocument,
  projectForNewEnvironment?: number,
): Promise<{ created: boolean; document: EnvironmentDocument }> {
  for (const [i, segment] of doc.project.segments.entries())
    assertUsableRules(segment.rules, `body/project/segments/${i}/rules`, segment.name);
  const { environment, created } = await findOrCreateEnvironment(tx, clientKey, doc, projectForNewEnvironment);
  const projectId = environment.project_id;
  const before = created ? null : (await loadEnvironment(tx, environment.id))!.document;

  await tx.query('UPDATE projects SET hide_disabled_flags = $2 WHERE id = $1', [projectId, doc.project.hide_disabled_flags]);
  await tx.query('UPDATE environments SET name = $2, allow_client_traits = COALESCE($3, allow_client_traits) WHERE id = $1', [
    environment.id,
    doc.name,
    doc.allow_client_traits ?? null,
  ]);

  const featureIds = await upsertFeatures(tx, projectId, doc);
  const segmentIds = new Map<number, number>();
  for (const segment of doc.project.segments) {
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO segments (project_id, name, rules, hash_key) VALUES ($1, $2, $3::jsonb, $4)
       ON CONFLICT (project_id, name) DO UPDATE SET rules = EXCLUDED.rules, hash_key = EXCLUDED.hash_key RETURNING id`,
      [projectId, segment.name, json(segment.rules), String(segment.id)],
    );
    segmentIds.set(segment.id, row.id);
  }

  const desired: DesiredState[] = doc.feature_states.map((source) => ({
    featureId: featureIds.get(source.feature.id)!,
    segmentId: null,
    identityId: null,
    source,
  }));
  for (const segment of doc.project.segments) {
    for (const source of segment.feature_states) {
      desired.push({ featureId: featureIds.get(source.feature.id)!, segmentId: segmentIds.get(segment.id)!, identityId: null, source });
    }
  }
  for (const identity of doc.identity_overrides ?? []) {
    const row = await upsertIdentity(tx, environment.id, identity.identifier);
    for (const source of identity.identity_features) {
      desired.push({ featureId: featureIds.get(source.feature.id)!, segmentId: null, identityId: row.id, source });
    }
  }
  await replaceFeatureStates(tx, environment.id, desired);

  // Features of the project that the document does not mention still need a default state here.
  const missing = await tx.query<{ id: number; default_enabled: boolean; initial_value: unknown }>(
    `SELECT f.id, f.default_enabled, f.initial_value FROM features f WHERE f.project_id = $1 AND NOT EXISTS (
       SELECT 1 FROM feature_states s WHERE s.feature_id = f.id AND s.environment_id = $2 AND s.segment_id IS NULL AND s.identity_id IS NULL)`,
    [projectId, environment.id],
  );
  for (const feature of missing) await createDefaultState(tx, environment.id, feature);

  const after = (await loadEnvironment(tx, environment.id))!.document;
  record({ action: 'import', entityType: 'environment_document', entityId: environment.id, environmentId: environment.id, before, after });
  return { created, document: after };
}

async function findOrCreateEnvironment(tx: Queryable, clientKey: string, doc: EnvironmentDocument, projectId?: number) {
  // Locked: the import's `before` is then the configuration it replaces.
  const [existing] = await tx.query<EnvironmentRow>('SELECT * FROM environments WHERE client_key = $1 FOR UPDATE', [clientKey]);
  if (existing) return { environment: existing, created: false };
  if (projectId !== undefined) {
    const [project] = await tx.query('SELECT 1 FROM projects WHERE id = $1', [projectId]);
    if (!project) throw notFound(`Project ${projectId} not found`);
  } else {
    [{ id: projectId }] = await tx.query<{ id: number }>('INSERT INTO projects (name) VALUES ($1) RETURNING id', [doc.project.name]);
  }
  const [environment] = await tx.query<EnvironmentRow>(
    'INSERT INTO environments (project_id, name, client_key) VALUES ($1, $2, $3) RETURNING *',
    [projectId, doc.name, clientKey],
  );
  return { environment, created: true };
}

/** Maps the document's feature ids to the project's features, matched by name and created if new. */
async function upsertFeatures(tx: Queryable, projectId: number, doc: EnvironmentDocument): Promise<Map<number, number>> {
  const serverOnly = new Set(doc.project.server_key_only_feature_ids ?? []);
  const features = new Map<number, DocumentFeatureState['feature']>();
  const all = [
    ...doc.feature_states,
    ...doc.project.segments.flatMap((s) => s.feature_states),
    ...(doc.identity_overrides ?? []).flatMap((i) => i.identity_features),
  ];
  for (const { feature } of all) {
    const seen = features.get(feature.id);
    if (seen && seen.name !== feature.name) {
      throw badRequest(`Feature id ${feature.id} is named both '${seen.name}' and '${feature.name}'`);
    }
    features.set(feature.id, feature);
  }
  const ids = new Map<number, number>();
  for (const feature of features.values()) {
    const [row] = await tx.query<{ id: number }>(
      `INSERT INTO features (project_id, name, type, server_key_only) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id, name) DO UPDATE SET type = EXCLUDED.type, server_key_only = EXCLUDED.server_key_only
       RETURNING id`,
      [projectId, feature.name, feature.type ?? 'STANDARD', serverOnly.has(feature.id)],
    );
    ids.set(feature.id, row.id);
  }
  return ids;
}

/** Makes the environment's feature states exactly `desired`, updating matching rows in place. */
async function replaceFeatureStates(tx: Queryable, environmentId: number, desired: readonly DesiredState[]) {
  const existing = await tx.query<{ id: number; feature_id: number; segment_id: number | null; identity_id: number | null }>(
    'SELECT id, feature_id, segment_id, identity_id FROM feature_states WHERE environment_id = $1',
    [environmentId],
  );
  const existingByKey = new Map(existing.map((row) => [stateKey(row.feature_id, row.segment_id, row.identity_id), row.id]));
  const kept = new Set<number>();
  for (const state of desired) {
    const { source } = state;
    const hashKey = source.django_id != null ? String(source.django_id) : (source.featurestate_uuid ?? null);
    const values = [source.enabled, json(source.feature_state_value), source.feature_segment?.priority ?? null, hashKey];
    let id = existingByKey.get(stateKey(state.featureId, state.segmentId, state.identityId));
    if (id !== undefined) {
      await tx.query(
        'UPDATE feature_states SET enabled = $2, value = $3::jsonb, priority = $4, hash_key = $5, updated_at = now() WHERE id = $1',
        [id, ...values],
      );
    } else {
      [{ id }] = await tx.query<{ id: number }>(
        `INSERT INTO feature_states (environment_id, feature_id, segment_id, identity_id, enabled, value, priority, hash_key, uuid)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) RETURNING id`,
        [environmentId, state.featureId, state.segmentId, state.identityId, ...values, source.featurestate_uuid ?? randomUUID()],
      );
    }
    kept.add(id);
    await replaceAllocations(tx, id, state.featureId, source);
  }
  const stale = existing.filter((row) => !kept.has(row.id)).map((row) => row.id);
  if (stale.length > 0) await tx.query('DELETE FROM feature_states WHERE id = ANY($1::int[])', [stale]);
}

/** Sets a state's allocations from the document, matching options by id, then by value, else creating them. */
async function replaceAllocations(tx: Queryable, stateId: number, featureId: number, source: DocumentFeatureState) {
  // Variants are ordered by their allocation's id for hashing; inserting in that order keeps it.
  const values = [...(source.multivariate_feature_state_values ?? [])].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  assertAllocationsFit(
    values.map((v) => v.percentage_allocation),
    `Feature '${source.feature.name}': allocations`,
  );
  const optionIds: number[] = [];
  for (const value of values) {
    const option = value.multivariate_feature_option;
    const [match] = await tx.query<{ id: number }>(
      `SELECT id FROM multivariate_options WHERE feature_id = $1 AND (id = $2 OR value = $3::jsonb)
        ORDER BY (id = $2) DESC, id LIMIT 1`,
      [featureId, option.id ?? 0, json(option.value)],
    );
    const optionId =
      match?.id ??
      (
        await tx.query<{ id: number }>('INSERT INTO multivariate_options (feature_id, value) VALUES ($1, $2::jsonb) RETURNING id', [
          featureId,
          json(option.value),
        ])
      )[0].id;
    if (optionIds.includes(optionId)) throw badRequest(`Feature '${source.feature.name}': one option allocated twice`);
    optionIds.push(optionId);
    await tx.query(
      `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid) VALUES ($1, $2, $3, $4)
       ON CONFLICT (feature_state_id, option_id) DO UPDATE SET percentage_allocation = EXCLUDED.percentage_allocation`,
      [stateId, optionId, value.percentage_allocation, value.mv_fs_value_uuid ?? randomUUID()],
    );
  }
  await tx.query('DELETE FROM multivariate_allocations WHERE feature_state_id = $1 AND NOT (option_id = ANY($2::int[]))', [
    stateId,
    optionIds,
  ]);
}
