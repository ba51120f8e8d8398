/**
 * SIGTERM on the bundled service with many slow requests in flight: readiness fails at once, every
 * in-flight request completes with 200, every trait write is stored, and the process exits 0.
 */
import { loadConfig } from '../../service/config';
import { startService } from '../../service/service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startBundle } from '../support/bundle';
import { ADMIN_TOKEN } from '../support/service';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** The bundle on this file's database, with `extraEnv`. */
const startOnDatabase = (extraEnv: Record<string, string>) =>
  startBundle({
    env: {
      FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
      FLAGSTACK_DATA_DIR: database.dataDir,
      ...(database.databaseUrl ? { DATABASE_URL: database.databaseUrl } : {}),
      ...extraEnv,
    },
  });

const post = (url: string, path: string, body: unknown, headers: Record<string, string>) =>
  fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('SIGTERM: every in-flight request completes with 200, no trait write is lost, exit 0', async () => {
  // Trait writes wait 400 ms for their batch: the requests below are in flight when SIGTERM lands.
  const { child, url } = await startOnDatabase({ FLAGSTACK_TRAIT_BATCH_MS: '400', FLAGSTACK_SHUTDOWN_GRACE_MS: '10000' });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const project = (await (await post(url, '/api/v1/admin/projects', { name: 'p' }, admin)).json()) as { id: number };
  await post(url, `/api/v1/admin/projects/${project.id}/environments`, { name: 'e', client_key: 'shutdown_key_01' }, admin);
  await post(url, `/api/v1/admin/projects/${project.id}/features`, { name: 'f', default_enabled: true }, admin);

  const inFlight = Array.from({ length: 50 }, (_, i) =>
    post(
      url,
      '/api/v1/identities/',
      { identifier: `leaving-${i}`, traits: [{ trait_key: 'n', trait_value: i }] },
      { 'X-Environment-Key': 'shutdown_key_01' },
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');

  const statuses = await Promise.all(inFlight.map(async (response) => (await response).status));
  expect(statuses).toEqual(Array(50).fill(200));
  expect(await exited).toBe(0);

  // Start again on the same database: every trait is there.
  const again = await startOnDatabase({});
  try {
    for (let i = 0; i < 50; i++) {
      const response = await fetch(`${again.url}/api/v1/identities/?identifier=leaving-${i}`, {
        headers: { 'X-Environment-Key': 'shutdown_key_01' },
      });
      expect(((await response.json()) as any).traits).toEqual([{ trait_key: 'n', trait_value: i }]);
    }
  } finally {
    const done = new Promise((resolve) => again.child.once('exit', resolve));
    again.child.kill('SIGTERM');
    await done;
  }
});

test('readiness fails at once when shutdown begins, while in-flight requests finish', async () => {
  const other = await createTestDatabase();
  const service = await startService(
    loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      FLAGSTACK_DATA_DIR: other.dataDir,
      FLAGSTACK_TRAIT_BATCH_MS: '300',
      FLAGSTACK_SHUTDOWN_DELAY_MS: '200',
      FLAGSTACK_ADMIN_TOKEN: ADMIN_TOKEN,
      ...(other.databaseUrl ? { DATABASE_URL: other.databaseUrl } : {}),
    }),
    { logger: false },
  );
  try {
    expect((await fetch(`${service.address}/ready`)).status).toBe(200);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const project = (await (await post(service.address, '/api/v1/admin/projects', { name: 'p' }, admin)).json()) as { id: number };
    await post(service.address, `/api/v1/admin/projects/${project.id}/environments`, { name: 'e', client_key: 'ready_key_0001' }, admin);
    const slow = post(
      service.address,
      '/api/v1/identities/',
      { identifier: 'slow', traits: [{ trait_key: 'a', trait_value: 1 }] },
      { 'X-Environment-Key': 'ready_key_0001' },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = service.stop();
    // Still listening (the shutdown delay lets load balancers see this), but no longer ready.
    const ready = await fetch(`${service.address}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting_down' });
    expect((await slow).status).toBe(200);
    await stopping;
  } finally {
    await other.drop();
  }
});
