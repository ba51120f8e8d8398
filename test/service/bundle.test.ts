/**
 * The esbuild bundle runs with plain `node` on the embedded database with no other set-up, and
 * serves a flag created through the admin API to the Flagsmith SDK (the README's walkthrough).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flagsmith } from 'flagsmith-nodejs';
import { SERVER, startBundle, type RunningBundle } from '../support/bundle';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'bundle-test-admin-token';
let bundle: RunningBundle;
let dataDir: string;
let url: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flagstack-bundle-'));
  bundle = await startBundle({ cwd: dataDir, env: { FLAGSTACK_ADMIN_TOKEN: TOKEN, NODE_PATH: join(ROOT, 'node_modules') } });
  url = bundle.url;
});

afterAll(async () => {
  await bundle.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('bad configuration stops the bundle with a message naming the variable', () => {
  const result = spawnSync(process.execPath, [SERVER], { env: { PORT: 'abc' }, encoding: 'utf8' });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('PORT=');
});

test('health, then a flag created with the admin API reaches the Flagsmith SDK', async () => {
  expect((await fetch(`${url}/health`)).status).toBe(200);
  const admin = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${url}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return response.json() as Promise<any>;
  };
  const project = await admin('POST', '/projects', { name: 'shop' });
  await admin('POST', `/projects/${project.id}/environments`, { name: 'prod', client_key: 'shop_prod_key' });
  await admin('POST', `/projects/${project.id}/features`, { name: 'free_shipping', default_enabled: true, initial_value: 'over 50' });

  const flagsmith = new Flagsmith({ environmentKey: 'shop_prod_key', apiUrl: `${url}/api/v1/` });
  const flags = await flagsmith.getEnvironmentFlags();
  expect(flags.isFeatureEnabled('free_shipping')).toBe(true);
  expect(flags.getFeatureValue('free_shipping')).toBe('over 50');
});

test('SIGTERM exits 0', async () => {
  expect(await bundle.stop()).toBe(0);
});
