/**
 * Admin bearer tokens, stored as SHA-256 hashes (service/secrets.ts): the only module that reads or
 * writes the admin_tokens table. A token itself is shown once, when it is created.
 */
import { notFound } from '../../errors';
import { hashSecret, newSecret } from '../../secrets';
import type { Queryable } from '../../storage/database';
import type { Change } from '../writer';
import type { TokenCreate } from './schemas';

export interface AdminActor {
  tokenId: number;
  name: string;
}

/** The actor a bearer token belongs to, or undefined when it is no admin token. */
export async function findAdminToken(db: Queryable, token: string): Promise<AdminActor | undefined> {
  const [row] = await db.query<{ id: number; name: string }>('SELECT id, name FROM admin_tokens WHERE token_hash = $1', [
    hashSecret(token),
  ]);
  return row && { tokenId: row.id, name: row.name };
}

/** Every admin token, without its secret. */
export const listTokens = (tx: Queryable) => tx.query('SELECT id, name, created_at FROM admin_tokens ORDER BY id');

/** Creates a token; the token itself is returned this once and only its hash is kept. */
export async function createToken({ tx, record }: Change, input: TokenCreate) {
  const token = newSecret('fsa_');
  const [row] = await tx.query<{ id: number; name: string }>(
    'INSERT INTO admin_tokens (name, token_hash) VALUES ($1, $2) RETURNING id, name',
    [input.name, hashSecret(token)],
  );
  record({ action: 'create', entityType: 'admin_token', entityId: row.id, after: row });
  return { ...row, token };
}

/** Revokes a token: the next request made with it is refused. */
export async function revokeToken({ tx, record }: Change, id: number) {
  const [row] = await tx.query('DELETE FROM admin_tokens WHERE id = $1 RETURNING id, name', [id]);
  if (!row) throw notFound(`Token ${id} not found`);
  record({ action: 'delete', entityType: 'admin_token', entityId: id, before: row });
}

/** Stores the bootstrap token from FLAGSTACK_ADMIN_TOKEN (by hash; idempotent). */
export async function ensureBootstrapToken(db: Queryable, token: string): Promise<void> {
  await db.query(`INSERT INTO admin_tokens (name, token_hash) VALUES ('bootstrap', $1) ON CONFLICT (token_hash) DO NOTHING`, [
    hashSecret(token),
  ]);
}

/** Whether anyone can use the admin API: at least one admin token exists. */
export async function adminTokenExists(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM admin_tokens LIMIT 1')).length > 0;
}

export const NO_ADMIN_TOKEN_HINT =
  'No admin token exists, so nobody can use the admin API: restart with FLAGSTACK_ADMIN_TOKEN set to a secret of ' +
  'at least 16 characters, e.g. FLAGSTACK_ADMIN_TOKEN=$(openssl rand -hex 24)';
