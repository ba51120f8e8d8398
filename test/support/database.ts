/**
 * Test databases: a fresh PostgreSQL database per test file when DATABASE_URL is set (as in CI),
 * otherwise a fresh embedded PGlite directory. Either way every test file starts empty.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface TestDatabase {
  /** Set for PostgreSQL; undefined for PGlite. */
  databaseUrl?: string;
  dataDir: string;
  drop(): Promise<void>;
}

export const usingPostgres = (): boolean => Boolean(process.env.DATABASE_URL);

export async function createTestDatabase({ embedded = false }: { embedded?: boolean } = {}): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagstack-test-'));
  const baseUrl = embedded ? undefined : process.env.DATABASE_URL;
  if (!baseUrl) return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };

  const name = `flagstack_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const client = new Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
