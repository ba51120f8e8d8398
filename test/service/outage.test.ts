/**
 * PostgreSQL cut off (through a TCP proxy) and hung: flag reads keep answering from memory and say
 * so; trait, analytics and admin writes fail fast with 503 and leave nothing half-written; when the
 * database returns, the service recovers by itself. Needs a real PostgreSQL (DATABASE_URL).
 */
import { loadConfig } from '../../service/config';
import { startService, type RunningService } from '../../service/service';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/database';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { ADMIN_TOKEN, type TestService } from '../support/service';
import { Client } from 'pg';
import { TcpProxy } from '../support/tcp-proxy';

const describeWithPostgres = usingPostgres() ? describe : describe.skip;

describeWithPostgres('database outages', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let service: RunningService;
  let seeded: SeededEnvironment;

  const call = async (method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}) => {
    const started = Date.now();
    const response = await fetch(service.address + path, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers, ms: Date.now() - started };
  };
  const sdk = (method: string, path: string, body?: unknown) =>
    call(method, path, { headers: { 'X-Environment-Key': seeded.clientKey }, body });
  const admin = (method: string, path: string, body?: unknown) =>
    call(method, `/api/v1/admin${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
  const readyState = async () => (await call('GET', '/ready')).body;

  async function waitFor(check: () => Promise<boolean>, timeoutMs: number) {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.databaseUrl!);
    proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const proxied = new URL(database.databaseUrl!);
    proxied.host = `127.0.0.1:${await proxy.start()}`;
    service = await startService(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: proxied.toString(),
        FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
        FLAGSTACK_DB_TIMEOUT_MS: '500',
        FLAGSTACK_CACHE_CHECK_MS: '200',
      }),
      { logger: false },
    );
    seeded = await seedEnvironment({ call, admin } as unknown as TestService);
    expect((await sdk('GET', '/api/v1/flags/')).status).toBe(200);
  });

  afterAll(async () => {
    proxy.restore();
    await service.stop();
    await proxy.close();
    await database.drop();
  });

  test('cut off: reads from memory, writes refused fast, nothing half-written, then recovery', async () => {
    proxy.drop();
    await waitFor(async () => (await readyState()).database === 'unreachable', 3000);
    expect(await readyState()).toMatchObject({ status: 'degraded', database: 'unreachable', since: expect.any(String) });
    // Anyone may call /ready: the driver's error, with the database's address, stays in the log.
    expect(Object.keys(await readyState()).sort()).toEqual(['database', 'since', 'status']);

    const flags = await sdk('GET', '/api/v1/flags/');
    expect(flags.status).toBe(200);
    expect(flags.headers.get('x-flagstack-stale')).toBe('database-unreachable');
    expect(flags.body.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('hello');

    const readOnly = await sdk('POST', '/api/v1/identities/', {
      identifier: 'offline-1',
      traits: [{ trait_key: 'age', trait_value: 30, transient: true }],
    });
    expect(readOnly.status).toBe(200);
    expect(readOnly.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
    const ofrep = await call('POST', '/ofrep/v1/evaluate/flags', {
      headers: { 'X-API-Key': seeded.clientKey },
      body: { context: { targetingKey: 'offline-1' } },
    });
    expect(ofrep.status).toBe(200);

    for (const attempt of [
      () => sdk('POST', '/api/v1/identities/', { identifier: 'offline-2', traits: [{ trait_key: 'age', trait_value: 30 }] }),
      () => sdk('POST', '/api/v1/analytics/flags/', { banner: 1 }),
      () => admin('PATCH', `/environments/${seeded.clientKey}/feature-states/banner`, { value: 'never stored' }),
    ]) {
      const refused = await attempt();
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('DATABASE_UNAVAILABLE');
      expect(refused.ms).toBeLessThan(1500);
    }

    proxy.restore();
    await waitFor(async () => (await readyState()).status === 'ready', 5000);
    expect((await sdk('GET', '/api/v1/flags/')).headers.get('x-flagstack-stale')).toBeNull();
    expect((await sdk('GET', '/api/v1/flags/?feature=banner')).body.feature_state_value).toBe('hello');
    const stored = await sdk('POST', '/api/v1/identities/', { identifier: 'offline-2', traits: [{ trait_key: 'age', trait_value: 31 }] });
    expect(stored.status).toBe(200);
    expect(stored.body.traits).toEqual([{ trait_key: 'age', trait_value: 31 }]);
    const changed = await admin('PATCH', `/environments/${seeded.clientKey}/feature-states/banner`, { value: 'after recovery' });
    expect(changed.status).toBe(200);
    expect((await sdk('GET', '/api/v1/flags/?feature=banner')).body.feature_state_value).toBe('after recovery');
  });

  test('hung: writes time out into 503 within the configured bound while flags keep answering', async () => {
    proxy.blackhole();
    const started = Date.now();
    const write = await sdk('POST', '/api/v1/identities/', { identifier: 'hung-1', traits: [{ trait_key: 'age', trait_value: 30 }] });
    expect(write.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2500);
    const flags = await sdk('GET', '/api/v1/flags/');
    expect(flags.status).toBe(200);
    expect(flags.ms).toBeLessThan(200);
    // Once the health check has found the database hung, admin requests fail at once, before their
    // token lookup would wait out the 500 ms timeout.
    await waitFor(async () => (await readyState()).database === 'unreachable', 3000);
    const adminRead = await admin('GET', '/projects');
    expect(adminRead.status).toBe(503);
    expect(adminRead.ms).toBeLessThan(250);
    proxy.restore();
    await waitFor(async () => (await readyState()).status === 'ready', 5000);
    const after = await sdk('POST', '/api/v1/identities/', { identifier: 'hung-1', traits: [{ trait_key: 'age', trait_value: 30 }] });
    expect(after.status).toBe(200);
  });

  test('a slow statement is a 503 for its request, not an outage: readiness and the other writes carry on', async () => {
    // Connections the hung test left behind have been replaced by now.
    await waitFor(
      async () =>
        (await sdk('POST', '/api/v1/identities/', { identifier: 'locked-1', traits: [{ trait_key: 'age', trait_value: 30 }] })).status ===
        200,
      5000,
    );
    await waitFor(async () => (await readyState()).status === 'ready', 5000);
    // Another session holds the identity's row: the next change to it waits past the 500 ms statement timeout.
    const holder = new Client({ connectionString: database.databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT 1 FROM identities WHERE identifier = 'locked-1' FOR UPDATE");
      const slow = await sdk('POST', '/api/v1/identities/', { identifier: 'locked-1', traits: [{ trait_key: 'age', trait_value: 31 }] });
      expect(slow.status).toBe(503);
      expect(slow.body.error.code).toBe('DATABASE_BUSY');
      expect(await readyState()).toEqual({ status: 'ready', database: 'up' });
      const other = await sdk('POST', '/api/v1/identities/', { identifier: 'unlocked-1', traits: [{ trait_key: 'age', trait_value: 30 }] });
      expect(other.status).toBe(200);
      expect((await sdk('GET', '/api/v1/flags/')).headers.get('x-flagstack-stale')).toBeNull();
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });
});
