/** An environment's server keys (`ser.…`), stored as SHA-256 hashes (service/secrets.ts) with a prefix to tell them apart. */
import { notFound } from '../../errors';
import { hashSecret, newSecret } from '../../secrets';
import type { Queryable } from '../../storage/database';
import { environmentByKey } from '../lookups';
import type { Change } from '../writer';

export async function listServerKeys(tx: Queryable, clientKey: string) {
  const environment = await environmentByKey(tx, clientKey);
  return tx.query('SELECT id, name, key_prefix, created_at FROM server_keys WHERE environment_id = $1 ORDER BY id', [environment.id]);
}

/** Creates a server key; the key itself is returned this once and only its hash is kept. */
export async function createServerKey({ tx, record }: Change, clientKey: string, name: string) {
  const environment = await environmentByKey(tx, clientKey);
  const key = newSecret('ser.');
  const [row] = await tx.query<{ id: number; key_prefix: string }>(
    'INSERT INTO server_keys (environment_id, key_hash, key_prefix, name) VALUES ($1, $2, $3, $4) RETURNING id, key_prefix',
    [environment.id, hashSecret(key), key.slice(0, 8), name],
  );
  record({
    action: 'create',
    entityType: 'server_key',
    entityId: row.id,
    environmentId: environment.id,
    after: { name, key_prefix: row.key_prefix },
  });
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
