/**
 * Two instances on one database: an admin change made through one is served by the other within a
 * second (LISTEN/NOTIFY), a change that sends no notification is caught by the periodic version
 * check, and each instance's connections stay within its pool bound.
 */
import { loadConfig } from '../../service/config';
import { openDatabase, type Database } from '../../service/storage/database';
import { startService, type RunningService } from '../../service/service';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { seedEnvironment } from '../support/seed';
import { ADMIN_TOKEN, type TestService } from '../support/service';

const POOL_MAX = 3;
let database: TestDatabase;
let shared: Database | undefined;
let a: RunningService;
let b: RunningService;

const config = () =>
  loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
    FLAGSTACK_DATA_DIR: database.dataDir,
    FLAGSTACK_DB_POOL_MAX: String(POOL_MAX),
    FLAGSTACK_CACHE_CHECK_MS: '300',
    ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
  });

beforeAll(async () => {
  database = await createTestDatabase();
  // PGlite lives inside one process: there the two instances share its one connection.
  if (!usingPostgres()) shared = await openDatabase({ dataDir: database.dataDir, poolMax: 1 });
  a = await startService(config(), { logger: false, database: shared });
  b = await startService(config(), { logger: false, database: shared });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  await shared?.close();
  await database.drop();
});

const through =
  (service: RunningService): TestService['call'] =>
  async (method, path, options = {}) => {
    const response = await fetch(service.address + path, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };

const bannerOn = async (service: RunningService, key: string) =>
  (await through(service)('GET', '/api/v1/flags/?feature=banner', { headers: { 'X-Environment-Key': key } })).body.feature_state_value;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

test('an admin change through A is served by B within one second', async () => {
  const svcA = {
    call: through(a),
    admin: (m: string, p: string, body?: unknown) =>
      through(a)(m, `/api/v1/admin${p}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body }),
  };
  const seeded = await seedEnvironment(svcA as unknown as TestService);
  expect(await bannerOn(b, seeded.clientKey)).toBe('hello');

  for (const value of ['first change', 'second change', 'third change']) {
    const changed = await svcA.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/banner`, { value });
    expect(changed.status).toBe(200);
    expect(await bannerOn(a, seeded.clientKey)).toBe(value);
    const elapsed = await waitFor(async () => (await bannerOn(b, seeded.clientKey)) === value, 1000);
    expect(elapsed).toBeLessThan(1000);
  }

  // A change that bypasses the admin API sends no notification; the version check still finds it.
  await a.db.query(
    `UPDATE feature_states SET value = '"written by hand"' WHERE feature_id = $1 AND segment_id IS NULL AND identity_id IS NULL`,
    [seeded.featureIds.banner],
  );
  await a.db.query('UPDATE environments SET updated_at = clock_timestamp()');
  await waitFor(async () => (await bannerOn(b, seeded.clientKey)) === 'written by hand', 3000);
  await waitFor(async () => (await bannerOn(a, seeded.clientKey)) === 'written by hand', 3000);

  // A new environment created through A is known to B (its key index follows too).
  await svcA.admin('POST', `/projects/${seeded.projectId}/environments`, { name: 'staging', client_key: 'staging_key_0001' });
  await waitFor(
    async () => (await through(b)('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'staging_key_0001' } })).status === 200,
    1000,
  );
});

(usingPostgres() ? test : test.skip)('connections per instance stay within FLAGSTACK_DB_POOL_MAX under load', async () => {
  const call = through(b);
  // Admin writes hold a connection for their whole transaction, so 20 at once ask for far more
  // connections than the pool may open: the test sees requests wait instead of new connections open.
  const adminThroughB = (body: unknown) =>
    call('PATCH', '/api/v1/admin/environments/staging_key_0001/feature-states/banner', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body,
    });
  const requests = [
    ...Array.from({ length: 20 }, (_, i) => adminThroughB({ value: `load ${i}` })),
    ...Array.from({ length: 200 }, (_, i) =>
      call('POST', '/api/v1/identities/', {
        headers: { 'X-Environment-Key': 'staging_key_0001' },
        body: { identifier: `load-${i % 50}`, traits: [{ trait_key: 'n', trait_value: i }] },
      }),
    ),
  ].map((request) => request.then((response) => response.status));
  let [peakOpen, peakWaiting, done] = [0, 0, false];
  const sampling = (async () => {
    while (!done) {
      const stats = b.db.poolStats();
      [peakOpen, peakWaiting] = [Math.max(peakOpen, stats.total), Math.max(peakWaiting, stats.waiting)];
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  const statuses = await Promise.all(requests).finally(() => (done = true));
  await sampling;
  expect(new Set(statuses)).toEqual(new Set([200]));
  expect(peakWaiting).toBeGreaterThan(0);
  expect(peakOpen).toBe(POOL_MAX);
  const [{ connections }] = await a.db.query<{ connections: number }>(
    'SELECT count(*)::int AS connections FROM pg_stat_activity WHERE datname = current_database()',
  );
  // Two pools plus one LISTEN connection per instance.
  expect(connections).toBeLessThanOrEqual(2 * POOL_MAX + 2);
});
