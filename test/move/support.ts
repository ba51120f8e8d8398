/**
 * Instances for the mover's tests: fresh PGlite folders or PostgreSQL databases, seeded through the
 * admin and SDK APIs of a real service on them, asked for every identity's flags, and the built
 * mover (dist/service/move.js, which `npm test` builds first) run against them as a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../service/config';
import { startService } from '../../service/service';
import { openDatabase, type Database } from '../../service/storage/database';
import { migrate } from '../../service/storage/migrate';
import { createTestDatabase, usingPostgres } from '../support/database';
import { SAMPLE_IDENTITIES, seedEnvironment } from '../support/seed';
import { ADMIN_TOKEN, type TestService } from '../support/service';

export const MOVER = join(__dirname, '..', '..', 'dist', 'service', 'move.js');

export type Kind = 'pglite' | 'postgres';

/** PostgreSQL where DATABASE_URL names one, PGlite otherwise: the kinds a test can use here. */
export const otherKind = (): Kind => (usingPostgres() ? 'postgres' : 'pglite');

export interface Instance {
  kind: Kind;
  /** What the mover takes: a folder, or a URL. */
  spec: string;
  drop(): Promise<void>;
}

/** A fresh, empty instance: a new PGlite folder (not yet created), or a new PostgreSQL database. */
export async function newInstance(kind: Kind): Promise<Instance> {
  if (kind === 'postgres') {
    if (!usingPostgres()) throw new Error('PostgreSQL instances need DATABASE_URL');
    const database = await createTestDatabase();
    return { kind, spec: database.databaseUrl!, drop: () => database.drop() };
  }
  const parent = mkdtempSync(join(tmpdir(), 'flagstack-move-'));
  return { kind, spec: join(parent, 'data'), drop: async () => rmSync(parent, { recursive: true, force: true }) };
}

export const openInstance = (instance: Instance): Promise<Database> =>
  openDatabase({ databaseUrl: instance.kind === 'postgres' ? instance.spec : undefined, dataDir: instance.spec, poolMax: 2 });

/** Runs `work` on the instance's database, opened for it alone. */
export async function withDatabase<T>(instance: Instance, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openInstance(instance);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

interface ServiceCalls {
  admin: TestService['admin'];
  sdk(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** Runs `work` against the real service on the instance (which migrates it), then stops the service. */
async function withService<T>(instance: Instance, work: (calls: ServiceCalls) => Promise<T>): Promise<T> {
  const db = await openInstance(instance);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    FLAGSTACK_DATA_DIR: instance.spec,
    FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
    FLAGSTACK_TRAIT_BATCH_MS: '0',
    LOG_LEVEL: 'silent',
  });
  const service = await startService(config, { logger: false, database: db });
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const response = await fetch(service.address + path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  try {
    return await work({
      admin: (method, path, body) => call(method, `/api/v1/admin${path}`, { authorization: `Bearer ${ADMIN_TOKEN}` }, body),
      sdk: (method, path, key, body) => call(method, path, { 'X-Environment-Key': key }, body),
    });
  } finally {
    await service.stop();
    await db.close();
  }
}

export interface Seeded {
  serverKey: string;
  identifiers: string[];
}

/**
 * Every kind of row: projects, environments, server keys, admin tokens, features (multivariate too),
 * segments, segment and identity overrides, identities with traits of every JSON type (SDK calls,
 * and `generated` more by SQL), analytics counts, and the audit log of it all.
 */
export async function seedInstance(instance: Instance, generated = 200): Promise<Seeded> {
  const seeded = await withService(instance, async ({ admin, sdk }) => {
    const { clientKey, serverKey, featureIds } = await seedEnvironment({ admin } as TestService);
    await admin('POST', '/tokens', { name: 'deploys' });
    for (const { identifier, traits } of SAMPLE_IDENTITIES) {
      const body = { identifier, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) };
      expect((await sdk('POST', '/api/v1/identities/', clientKey, body)).status).toBe(200);
    }
    await admin('PUT', `/environments/${clientKey}/identities/beta-1/overrides/checkout`, { enabled: true, value: 'forced' });
    expect((await sdk('POST', '/api/v1/analytics/flags/', clientKey, { banner: 3, checkout: 5 })).status).toBe(200);
    return { clientKey, serverKey, featureIds };
  });
  await withDatabase(instance, (db) =>
    db.query(
      `INSERT INTO identities (environment_id, identifier, traits, created_at, updated_at)
       SELECT e.id, 'generated-' || i,
              jsonb_build_object('age', i % 90, 'plan', CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END, 'banned', i % 17 = 0,
                                 'score', i * 1.25, 'name', 'Zoë ✓ "' || i || E'"\\n', 'app_version', '2.' || (i % 5) || '.0'),
              now() - i * interval '1 second 17 microseconds', now()
         FROM environments e, generate_series(1, $1::int) i
        WHERE e.client_key = $2`,
      [generated, seeded.clientKey],
    ),
  );
  const identifiers = [
    ...SAMPLE_IDENTITIES.map((identity) => identity.identifier),
    ...Array.from({ length: 40 }, (_, i) => `generated-${i * 5 + 1}`),
  ];
  return { serverKey: seeded.serverKey, identifiers };
}

/** Each identity's flags and traits, as the SDK API answers them on this instance. */
export function answersOf(instance: Instance, seeded: Seeded): Promise<Record<string, unknown>> {
  return withService(instance, async ({ sdk }) => {
    const answers: Record<string, unknown> = {};
    for (const identifier of seeded.identifiers) {
      const { status, body } = await sdk('GET', `/api/v1/identities/?identifier=${encodeURIComponent(identifier)}`, seeded.serverKey);
      expect(status).toBe(200);
      answers[identifier] = body;
    }
    return answers;
  });
}

export interface MoveRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface MoveOptions {
  /** Asked after each piece of the mover's stderr whether to SIGKILL it there. */
  killWhen?: (stderr: string) => boolean;
  /** Environment beside PATH. */
  env?: Record<string, string>;
  /** Arguments for node, before the mover. */
  nodeArgs?: string[];
}

/** Runs the built mover. */
export function runMove(args: string[], { killWhen, env = {}, nodeArgs = [] }: MoveOptions = {}): Promise<MoveRun> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, MOVER, ...args], { env: { PATH: process.env.PATH, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
    if (killWhen?.(stderr)) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/**
 * A migrated instance with `identities` identities (3 to 10 traits each: strings, numbers, booleans),
 * written by SQL: quicker than through the service, for tests of the mover's checks.
 */
export async function seedBySql(db: Database, identities: number): Promise<void> {
  await migrate(db);
  const [{ id: projectId }] = await db.query<{ id: number }>(`INSERT INTO projects (name) VALUES ('sql') RETURNING id`);
  const [{ id: environmentId }] = await db.query<{ id: number }>(
    `INSERT INTO environments (project_id, name, client_key) VALUES ($1::int, 'env', 'sql_' || $1::int) RETURNING id`,
    [projectId],
  );
  const [{ id: featureId }] = await db.query<{ id: number }>(
    `INSERT INTO features (project_id, name, initial_value) VALUES ($1, 'flag', 'null') RETURNING id`,
    [projectId],
  );
  await db.query(
    `INSERT INTO identities (environment_id, identifier, traits)
     SELECT $1, 'user-' || i,
            (SELECT jsonb_object_agg('trait_' || k, CASE k % 3 WHEN 0 THEN to_jsonb('v' || i) WHEN 1 THEN to_jsonb(i * k) ELSE to_jsonb(i % 2 = 0) END)
               FROM generate_series(1, 3 + i % 8) k)
       FROM generate_series(1, $2::int) i`,
    [environmentId, identities],
  );
  await db.query(
    `INSERT INTO feature_states (environment_id, feature_id, identity_id, enabled, value, uuid)
     SELECT $1, $2, id, true, to_jsonb(id), gen_random_uuid()::text FROM identities WHERE id % 10 = 0`,
    [environmentId, featureId],
  );
}
