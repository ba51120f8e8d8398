/** Identities, their traits and their overrides, as the admin API manages them. */
import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../errors';
import { json, type Queryable } from '../../storage/database';
import { boundsExceeded, type IdentityBounds } from '../../storage/traits';
import { environmentByKey, featureByName, lockRow } from '../lookups';
import type { Paging } from '../schemas';
import type { Change } from '../writer';
import type { IdentityCreate, IdentityOverrideSet, TraitChanges } from './schemas';

export async function listIdentities(tx: Queryable, clientKey: string, paging: Paging) {
  const environment = await environmentByKey(tx, clientKey);
  const rows = await tx.query<{ id: number }>(
    `SELECT id, identifier, created_at FROM identities WHERE environment_id = $1 AND ($2::int IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $3`,
    [environment.id, paging.cursor ?? null, paging.limit],
  );
  return { items: rows, nextCursor: rows.length === paging.limit ? rows[rows.length - 1].id : null };
}

async function identityRow(tx: Queryable, environmentId: number, identifier: string) {
  const [row] = await tx.query<{ id: number; identifier: string; created_at: Date }>(
    'SELECT id, identifier, created_at FROM identities WHERE environment_id = $1 AND identifier = $2',
    [environmentId, identifier],
  );
  if (!row) throw notFound(`Identity '${identifier}' not found`);
  return row;
}

/**
 * The identity, created if new. DO UPDATE (not DO NOTHING) returns the row even when another
 * transaction inserted it a moment ago, and takes its lock for the rest of this change.
 */
export async function upsertIdentity(tx: Queryable, environmentId: number, identifier: string): Promise<{ id: number }> {
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO identities (environment_id, identifier) VALUES ($1, $2)
     ON CONFLICT (environment_id, identifier) DO UPDATE SET identifier = EXCLUDED.identifier RETURNING id`,
    [environmentId, identifier],
  );
  return row;
}

async function identityView(tx: Queryable, identityId: number) {
  const [identity] = await tx.query<{ id: number; identifier: string; created_at: Date }>(
    'SELECT id, identifier, created_at FROM identities WHERE id = $1',
    [identityId],
  );
  const traits = await tx.query<{ key: string; value: unknown }>(
    'SELECT t.key, t.value FROM identities i CROSS JOIN LATERAL jsonb_each(jsonb_strip_nulls(i.traits)) t WHERE i.id = $1 ORDER BY t.key',
    [identityId],
  );
  const overrides = await tx.query(
    `SELECT f.name AS feature, s.enabled, s.value FROM feature_states s JOIN features f ON f.id = s.feature_id
      WHERE s.identity_id = $1 ORDER BY f.name`,
    [identityId],
  );
  return { ...identity, traits: Object.fromEntries(traits.map((t) => [t.key, t.value])), overrides };
}

export async function getIdentity(tx: Queryable, clientKey: string, identifier: string) {
  const environment = await environmentByKey(tx, clientKey);
  return identityView(tx, (await identityRow(tx, environment.id, identifier)).id);
}

/** One statement for all the changes (the patch's nulls delete their traits), refused past the bounds. */
async function applyTraits(tx: Queryable, identityId: number, identifier: string, traits: TraitChanges, bounds: IdentityBounds) {
  if (Object.keys(traits).length === 0) return;
  const [after] = await tx.query<{ within: boolean; count: number; bytes: number }>(
    `UPDATE identities SET traits = jsonb_strip_nulls(traits || $2::jsonb), updated_at = now() WHERE id = $1
     RETURNING flagstack_traits_within(traits, $3, $4) AS within,
               (SELECT count(*) FROM jsonb_object_keys(traits))::int AS count, octet_length(traits::text) AS bytes`,
    [identityId, json(traits), bounds.maxTraits, bounds.maxBytes],
  );
  // The writer's transaction rolls the update back.
  if (!after.within) throw boundsExceeded(identifier, after.count, after.bytes, bounds);
}

export async function createIdentity({ tx, record }: Change, clientKey: string, input: IdentityCreate, bounds: IdentityBounds) {
  const environment = await environmentByKey(tx, clientKey);
  const [row] = await tx.query<{ id: number }>(
    'INSERT INTO identities (environment_id, identifier) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id',
    [environment.id, input.identifier],
  );
  if (!row) throw conflict(`Identity '${input.identifier}' already exists`);
  await applyTraits(tx, row.id, input.identifier, input.traits ?? {}, bounds);
  const after = await identityView(tx, row.id);
  record({ action: 'create', entityType: 'identity', entityId: row.id, environmentId: environment.id, after });
  return after;
}

export async function deleteIdentity({ tx, record }: Change, clientKey: string, identifier: string) {
  const environment = await environmentByKey(tx, clientKey);
  const { id } = await identityRow(tx, environment.id, identifier);
  await lockRow(tx, 'identities', id);
  const before = await identityView(tx, id);
  await tx.query('DELETE FROM identities WHERE id = $1', [before.id]);
  record({ action: 'delete', entityType: 'identity', entityId: before.id, environmentId: environment.id, before });
}

/** Sets (or with null, deletes) traits of an identity, creating the identity if needed. */
export async function updateTraits(
  { tx, record }: Change,
  clientKey: string,
  identifier: string,
  traits: TraitChanges,
  bounds: IdentityBounds,
) {
  const environment = await environmentByKey(tx, clientKey);
  const row = await upsertIdentity(tx, environment.id, identifier);
  const before = await identityView(tx, row.id);
  await applyTraits(tx, row.id, identifier, traits, bounds);
  const after = await identityView(tx, row.id);
  record({
    action: 'update',
    entityType: 'identity_traits',
    entityId: row.id,
    environmentId: environment.id,
    before: before.traits,
    after: after.traits,
  });
  return after;
}

/** Sets an identity's override of a feature, creating the identity if needed. */
export async function setIdentityOverride(
  { tx, record }: Change,
  clientKey: string,
  identifier: string,
  featureName: string,
  input: IdentityOverrideSet,
) {
  const environment = await environmentByKey(tx, clientKey);
  const feature = await featureByName(tx, environment.project_id, featureName);
  const identity = await upsertIdentity(tx, environment.id, identifier);
  const before = await identityView(tx, identity.id);
  await tx.query(
    `INSERT INTO feature_states (environment_id, feature_id, identity_id, enabled, value, uuid)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)
     ON CONFLICT (environment_id, feature_id, identity_id) WHERE identity_id IS NOT NULL
     DO UPDATE SET enabled = EXCLUDED.enabled, value = EXCLUDED.value, updated_at = now()`,
    [environment.id, feature.id, identity.id, input.enabled, json(input.value), randomUUID()],
  );
  const after = await identityView(tx, identity.id);
  record({
    action: 'update',
    entityType: 'identity_override',
    entityId: identity.id,
    environmentId: environment.id,
    before: before.overrides,
    after: after.overrides,
  });
  return after;
}

export async function deleteIdentityOverride({ tx, record }: Change, clientKey: string, identifier: string, featureName: string) {
  const environment = await environmentByKey(tx, clientKey);
  const feature = await featureByName(tx, environment.project_id, featureName);
  const identity = await identityRow(tx, environment.id, identifier);
  // Locked as setIdentityOverride locks it (its upsert), and recorded the same way: the identity's overrides before and after.
  await lockRow(tx, 'identities', identity.id);
  const before = await identityView(tx, identity.id);
  const deleted = await tx.query('DELETE FROM feature_states WHERE identity_id = $1 AND feature_id = $2 RETURNING id', [
    identity.id,
    feature.id,
  ]);
  if (deleted.length === 0) throw notFound(`Identity '${identifier}' has no override of '${featureName}'`);
  const after = await identityView(tx, identity.id);
  record({
    action: 'delete',
    entityType: 'identity_override',
    entityId: identity.id,
    environmentId: environment.id,
    before: before.overrides,
    after: after.overrides,
  });
}
