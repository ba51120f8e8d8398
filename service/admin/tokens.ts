/** Admin bearer tokens, stored as SHA-256 hashes (service/secrets.ts). */
import { hashSecret } from '../secrets';
import type { Queryable } from '../storage/database';

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

/** Stores the bootstrap token from FLAGSTACK_ADMIN_TOKEN (by hash; idempotent). */
export async function ensureBootstrapToken(db: Queryable, token: string): Promise<void> {
  await db.query(
    `INSERT INTO admin_tokens (name, token_hash) VALUES ('bootstrap', $1) ON CONFLICT (token_hash) DO NOTHING`,
    [hashSecret(token)],
  );
}

/** Whether anyone can use the admin API: at least one admin token exists. */
export async function adminTokenExists(db: Queryable): Promise<boolean> {
  return (await db.query('SELECT 1 FROM admin_tokens LIMIT 1')).length > 0;
}

export const NO_ADMIN_TOKEN_HINT =
  'No admin token exists, so nobody can use the admin API: restart with FLAGSTACK_ADMIN_TOKEN set to a secret of ' +
  'at least 16 characters, e.g. FLAGSTACK_ADMIN_TOKEN=$(openssl rand -hex 24)';
