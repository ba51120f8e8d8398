/**
 * Environment documents in and out. Import replaces an environment's whole configuration with a
 * Flagsmith environment document, creating the environment (and finding or creating its project) if
 * needed: afterwards the environment serves exactly the document's features, segment overrides and
 * identity overrides. Rows are matched and updated in place rather than recreated, so importing an
 * exported document changes nothing, and what hashing reads is kept (feature-state django_ids or
 * uuids, segment ids, allocation ids and order) so that every identity gets the same variant.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, notFound } from '../../errors';
import type { DocumentFeatureState, EnvironmentDocument, FlagValue } from '../../schemas/environment-document';
import { inSplitOrder } from '../../engine';
import { json, type Queryable } from '../../storage/database';
import { loadEnvironment } from '../../storage/environment-documents';
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

  // An option id is this project's own only in a document exported from it; otherwise only an id an
  // earlier import kept is the same option.
  const [project] = await tx.query<{ own_id: number }>('SELECT COALESCE(document_id, id)::float8 AS own_id FROM projects WHERE id = $1', [
    projectId,
  ]);
  const ownExport = project.own_id === doc.project.id;
  await tx.query('UPDATE projects SET hide_disabled_flags = $2, document_id = COALESCE(document_id, $3) WHERE id = $1', [
    projectId,
    doc.project.hide_disabled_flags,
    doc.project.id,
  ]);
  await tx.query(
    `UPDATE environments SET name = $2, allow_client_traits = COALESCE($3, allow_client_traits), hide_disabled_flags = $4
      WHERE id = $1`,
    [environment.id, doc.name, doc.allow_client_traits ?? null, doc.hide_disabled_flags ?? null],
  );

  const featureIds = await upsertFeatures(tx, projectId, doc);
  const segmentIds = await upsertSegments(tx, projectId, doc);

  const desired: DesiredState[] = doc.feature_states.map((source) => ({
    featureId: featureIds.get(source.feature.id)!,
    segmentId: null,
    identityId: null,
    source,
  }));
  for (const segment of doc.project.segments) {
    for (const source of segment.feature_states) {
      desired.push({ featureId: featureIds.get(source.feature.id)!, segmentId: segmentIds.get(segment)!, identityId: null, source });
    }
  }
  for (const identity of doc.identity_overrides ?? []) {
    const row = await upsertIdentity(tx, environment.id, identity.identifier);
    for (const source of identity.identity_features) {
      desired.push({ featureId: featureIds.get(source.feature.id)!, segmentId: null, identityId: row.id, source });
    }
  }
  const options = await matchOptions(tx, desired, ownExport);
  await replaceFeatureStates(tx, environment.id, desired, options);

  // What the document no longer names goes, unless another environment of the project still uses it.
  await tx.query(
    `DELETE FROM multivariate_options o USING features f
      WHERE f.id = o.feature_id AND f.project_id = $1 AND NOT (o.id = ANY($2::int[]))
        AND NOT EXISTS (SELECT 1 FROM multivariate_allocations a WHERE a.option_id = o.id)`,
    [projectId, [...new Set(options.values())]],
  );
  await tx.query(
    `DELETE FROM segments s WHERE s.project_id = $1 AND NOT (s.id = ANY($2::int[]))
        AND NOT EXISTS (SELECT 1 FROM feature_states fs WHERE fs.segment_id = s.id)`,
    [projectId, [...segmentIds.values()]],
  );
  await tx.query(
    `DELETE FROM features f WHERE f.project_id = $1 AND NOT (f.id = ANY($2::int[]))
        AND NOT EXISTS (SELECT 1 FROM feature_states fs WHERE fs.feature_id = f.id)`,
    [projectId, [...featureIds.values()]],
  );

  const after = (await loadEnvironment(tx, environment.id))!.document;
  // The project's shared rows (segments, features, options) changed too: its other environments refresh.
  record({
    action: 'import',
    entityType: 'environment_document',
    entityId: environment.id,
    environmentId: environment.id,
    projectId,
    before,
    after,
  });
  return { created, document: after };
}

/**
 * The environment with the client key, locked, or a new one in the given project, else in the
 * project the document came from (by its id, then by its name), else in a new project.
 */
async function findOrCreateEnvironment(tx: Queryable, clientKey: string, doc: EnvironmentDocument, projectId?: number) {
  // Locked: the import's `before` is then the configuration it replaces.
  const [existing] = await tx.query<EnvironmentRow>('SELECT * FROM environments WHERE client_key = $1 FOR UPDATE', [clientKey]);
  if (existing) return { environment: existing, created: false };
  if (projectId !== undefined) {
    const [project] = await tx.query('SELECT 1 FROM projects WHERE id = $1', [projectId]);
    if (!project) throw notFound(`Project ${projectId} not found`);
  } else {
    const [found] = await tx.query<{ id: number }>(
      `SELECT id FROM projects WHERE document_id = $1 OR (document_id IS NULL AND name = $2)
        ORDER BY document_id IS NULL, id LIMIT 1`,
      [doc.project.id, doc.project.name],
    );
    projectId =
      found?.id ??
      (
        await tx.query<{ id: number }>('INSERT INTO projects (name, document_id) VALUES ($1, $2) RETURNING id', [
          doc.project.name,
          doc.project.id,
        ])
      )[0].id;
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
  const idsByName = new Map<string, number>();
  for (const { feature } of all) {
    const seen = features.get(feature.id);
    if (seen && seen.name !== feature.name) {
      throw badRequest(`Feature id ${feature.id} is named both '${seen.name}' and '${feature.name}'`);
    }
    const named = idsByName.get(feature.name);
    if (named !== undefined && named !== feature.id) {
      throw badRequest(`Features ${named} and ${feature.id} are both named '${feature.name}': a project's feature names are unique`);
    }
    features.set(feature.id, feature);
    idsByName.set(feature.name, feature.id);
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

/**
 * Maps the document's segments to the project's, matched by the document's segment id (kept as the
 * hash key), then by name, and created if new. Segment names need not be unique, as in Flagsmith.
 */
async function upsertSegments(tx: Queryable, projectId: number, doc: EnvironmentDocument) {
  const existing = await tx.query<{ id: number; name: string; hash_key: string | null }>(
    'SELECT id, name, hash_key FROM segments WHERE project_id = $1 ORDER BY id',
    [projectId],
  );
  const rows = new Map<EnvironmentDocument['project']['segments'][number], number>();
  const claimed = new Set<number>();
  const claim = (segment: EnvironmentDocument['project']['segments'][number], matches: (row: (typeof existing)[number]) => boolean) => {
    const row = rows.has(segment) ? undefined : existing.find((candidate) => !claimed.has(candidate.id) && matches(candidate));
    if (row) {
      rows.set(segment, row.id);
      claimed.add(row.id);
    }
  };
  for (const segment of doc.project.segments) claim(segment, (row) => row.hash_key === String(segment.id));
  for (const segment of doc.project.segments) claim(segment, (row) => row.name === segment.name);
  for (const segment of doc.project.segments) {
    const values = [segment.name, json(segment.rules), String(segment.id)];
    const id = rows.get(segment);
    if (id !== undefined) {
      await tx.query('UPDATE segments SET name = $2, rules = $3::jsonb, hash_key = $4 WHERE id = $1', [id, ...values]);
    } else {
      const [row] = await tx.query<{ id: number }>(
        'INSERT INTO segments (project_id, name, rules, hash_key) VALUES ($1, $2, $3::jsonb, $4) RETURNING id',
        [projectId, ...values],
      );
      rows.set(segment, row.id);
    }
  }
  return rows;
}

/**
 * Which option of a feature one allocation in the document means. Options are the document's by id
 * (two may share a value); the same id and value allocated twice in one state are two options.
 */
const optionKey = (featureId: number, option: { id?: number | null; value: FlagValue }, occurrence: number) =>
  JSON.stringify([featureId, option.id ?? null, option.value, occurrence]);

/** Each state's allocations with the option each one means. */
function allocationsOf(state: DesiredState) {
  const seen = new Map<string, number>();
  return (state.source.multivariate_feature_state_values ?? []).map((allocation) => {
    const option = allocation.multivariate_feature_option;
    const first = optionKey(state.featureId, option, 0);
    const occurrence = seen.get(first) ?? 0;
    seen.set(first, occurrence + 1);
    return { allocation, key: optionKey(state.featureId, option, occurrence) };
  });
}

interface WantedOption {
  featureId: number;
  id: number | null;
  value: FlagValue;
}
type OptionRow = { id: number; feature_id: number; document_id: number | null; value: FlagValue };

/**
 * Maps every option key of the desired states to a row of multivariate_options: the row with the
 * document's id (the id an earlier import kept, or, in this project's own export, the row's id) and the same value, else
 * with that id (its value is updated), else, for an option without an id, a row without one with the
 * same value; else a new row keeping the document's id.
 */
async function matchOptions(tx: Queryable, desired: readonly DesiredState[], ownExport: boolean): Promise<Map<string, number>> {
  const wanted = new Map<string, WantedOption>();
  for (const state of desired) {
    for (const { allocation, key } of allocationsOf(state)) {
      const option = allocation.multivariate_feature_option;
      wanted.set(key, { featureId: state.featureId, id: option.id ?? null, value: option.value });
    }
  }
  const featureIds = [...new Set([...wanted.values()].map((w) => w.featureId))];
  const existing = await tx.query<OptionRow>(
    'SELECT id, feature_id, document_id::float8 AS document_id, value FROM multivariate_options WHERE feature_id = ANY($1::int[]) ORDER BY id',
    [featureIds],
  );
  const claimed = new Set<number>();
  const rows = new Map<string, number>();
  const pass = (matches: (row: OptionRow, option: WantedOption) => boolean) => {
    for (const [key, option] of wanted) {
      if (rows.has(key)) continue;
      const row = existing.find((r) => r.feature_id === option.featureId && !claimed.has(r.id) && matches(r, option));
      if (row) {
        rows.set(key, row.id);
        claimed.add(row.id);
      }
    }
  };
  const sameValue = (a: FlagValue, b: FlagValue) => JSON.stringify(a) === JSON.stringify(b);
  const sameId = (row: OptionRow, option: WantedOption) =>
    option.id !== null && (row.document_id === option.id || (ownExport && row.document_id === null && row.id === option.id));
  pass((row, option) => sameId(row, option) && sameValue(row.value, option.value));
  pass(sameId);
  pass((row, option) => option.id === null && row.document_id === null && sameValue(row.value, option.value));
  for (const [key, option] of wanted) {
    const id = rows.get(key);
    if (id !== undefined) {
      await tx.query('UPDATE multivariate_options SET value = $2::jsonb WHERE id = $1', [id, json(option.value)]);
    } else {
      const [row] = await tx.query<{ id: number }>(
        'INSERT INTO multivariate_options (feature_id, value, document_id) VALUES ($1, $2::jsonb, $3) RETURNING id',
        [option.featureId, json(option.value), option.id],
      );
      rows.set(key, row.id);
    }
  }
  return rows;
}

/** Makes the environment's feature states exactly `desired`, updating matching rows in place. */
async function replaceFeatureStates(
  tx: Queryable,
  environmentId: number,
  desired: readonly DesiredState[],
  options: ReadonlyMap<string, number>,
) {
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
    if (id !== undefined && kept.has(id)) {
      throw badRequest(`Feature '${source.feature.name}' has two states in one place (the environment, a segment or an identity)`);
    }
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
      existingByKey.set(stateKey(state.featureId, state.segmentId, state.identityId), id);
    }
    kept.add(id);
    await replaceAllocations(tx, id, state, options);
  }
  const stale = existing.filter((row) => !kept.has(row.id)).map((row) => row.id);
  if (stale.length > 0) await tx.query('DELETE FROM feature_states WHERE id = ANY($1::int[])', [stale]);
}

/**
 * Sets a state's allocations from the document, in the order Flagsmith's engine splits them (by
 * allocation id, else by uuid read as a number). The document's ids are kept when every allocation
 * has a different one; otherwise the rows' own ids, given in that order, carry it. Sums over 100%
 * are Flagsmith's to allow: the split never reaches the allocations past 100.
 */
async function replaceAllocations(tx: Queryable, stateId: number, state: DesiredState, options: ReadonlyMap<string, number>) {
  const ordered = inSplitOrder(allocationsOf(state), ({ allocation }) => allocation);
  const ids = ordered.map(({ allocation }) => allocation.id);
  const keepIds = ids.every((id) => id != null) && new Set(ids).size === ids.length;
  const rows = ordered.map(({ allocation, key }) => ({
    optionId: options.get(key)!,
    documentId: keepIds ? allocation.id! : null,
    percentage: allocation.percentage_allocation,
    uuid: allocation.mv_fs_value_uuid ?? null,
  }));
  const existing = await tx.query<{ id: number; option_id: number; document_id: number | null }>(
    'SELECT id, option_id, document_id::float8 AS document_id FROM multivariate_allocations WHERE feature_state_id = $1 ORDER BY id',
    [stateId],
  );
  const sameOrder =
    existing.length === rows.length &&
    existing.every((row, i) => row.option_id === rows[i].optionId && row.document_id === rows[i].documentId);
  if (sameOrder) {
    for (const [i, row] of rows.entries()) {
      await tx.query('UPDATE multivariate_allocations SET percentage_allocation = $2, uuid = COALESCE($3, uuid) WHERE id = $1', [
        existing[i].id,
        row.percentage,
        row.uuid,
      ]);
    }
    return;
  }
  await tx.query('DELETE FROM multivariate_allocations WHERE feature_state_id = $1', [stateId]);
  for (const row of rows) {
    await tx.query(
      `INSERT INTO multivariate_allocations (feature_state_id, option_id, percentage_allocation, uuid, document_id)
       VALUES ($1, $2, $3, $4, $5)`,
      [stateId, row.optionId, row.percentage, row.uuid ?? randomUUID(), row.documentId],
    );
  }
}
