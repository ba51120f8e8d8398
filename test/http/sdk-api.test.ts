/** The SDK endpoints on the wire: shapes, headers, status codes, and who may see what. */
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';

let svc: TestService;
let seeded: SeededEnvironment;
let other: SeededEnvironment;

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc);
  other = await seedEnvironment(svc, 'other_client_key_02');
  await svc.admin('PATCH', `/environments/${other.clientKey}/feature-states/banner`, { value: 'other banner' });
});
afterAll(() => svc.stop());

const sdk = (key: string | undefined, method: string, path: string, body?: unknown) =>
  svc.call(method, path, { headers: key === undefined ? {} : { 'X-Environment-Key': key }, body });

test('GET /api/v1/flags/ returns Flagsmith flag objects with JSON content type', async () => {
  const { status, body, headers } = await sdk(seeded.clientKey, 'GET', '/api/v1/flags/');
  expect(status).toBe(200);
  expect(headers.get('content-type')).toMatch(/^application\/json/);
  const banner = body.find((flag: any) => flag.feature.name === 'banner');
  expect(banner).toEqual({
    id: expect.any(Number),
    feature: {
      id: seeded.featureIds.banner,
      name: 'banner',
      created_date: expect.any(String),
      description: null,
      initial_value: 'hello',
      default_enabled: true,
      type: 'STANDARD',
    },
    feature_state_value: 'hello',
    environment: expect.any(Number),
    identity: null,
    feature_segment: null,
    enabled: true,
  });
  expect(body.map((flag: any) => flag.feature.name)).not.toContain('secret_flag');
});

test('?feature= returns one flag, or 404 naming it', async () => {
  const one = await sdk(seeded.clientKey, 'GET', '/api/v1/flags/?feature=max_items');
  expect(one.status).toBe(200);
  expect(one.body.feature_state_value).toBe(10);
  const missing = await sdk(seeded.clientKey, 'GET', '/api/v1/flags/?feature=nope');
  expect(missing.status).toBe(404);
  expect(missing.body.error.message).toContain('nope');
  // A client key may not fetch a server-key-only feature by name either.
  expect((await sdk(seeded.clientKey, 'GET', '/api/v1/flags/?feature=secret_flag')).status).toBe(404);
  expect((await sdk(seeded.serverKey, 'GET', '/api/v1/flags/?feature=secret_flag')).status).toBe(200);
});

test('a key reaches only its own environment', async () => {
  const mine = await sdk(seeded.clientKey, 'GET', '/api/v1/flags/?feature=banner');
  const theirs = await sdk(other.clientKey, 'GET', '/api/v1/flags/?feature=banner');
  expect(mine.body.feature_state_value).toBe('hello');
  expect(theirs.body.feature_state_value).toBe('other banner');
  const doc = await sdk(other.serverKey, 'GET', '/api/v1/environment-document/');
  expect(doc.body.api_key).toBe(other.clientKey);
});

describe('auth matrix', () => {
  const cases: Array<[string, string | undefined, string, string, number]> = [
    ['no key', undefined, 'GET', '/api/v1/flags/', 401],
    ['unknown key', 'not-a-key', 'GET', '/api/v1/flags/', 401],
    ['admin token as SDK key', ADMIN_TOKEN, 'GET', '/api/v1/flags/', 401],
    ['client key, identities', 'CLIENT', 'GET', '/api/v1/identities/?identifier=a', 200],
    ['client key, environment document', 'CLIENT', 'GET', '/api/v1/environment-document/', 403],
    ['server key, environment document', 'SERVER', 'GET', '/api/v1/environment-document/', 200],
    ['unknown server key, environment document', 'ser.unknown', 'GET', '/api/v1/environment-document/', 401],
  ];
  test.each(cases)('%s (key %s, %s %s) → %i', async (_name, key, method, path, expected) => {
    const resolved = key === 'CLIENT' ? seeded.clientKey : key === 'SERVER' ? seeded.serverKey : key;
    const { status, body } = await sdk(resolved, method, path);
    expect(status).toBe(expected);
    if (expected >= 400) expect(body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  });

  const admin = (authorization: string | undefined) =>
    svc.call('GET', '/api/v1/admin/projects', { headers: authorization ? { authorization } : {} });
  test('admin routes: no token 401; SDK keys and wrong tokens 403; the admin token 200', async () => {
    expect((await admin(undefined)).status).toBe(401);
    expect((await admin('Basic abc')).status).toBe(401);
    expect((await admin(`Bearer ${seeded.clientKey}`)).status).toBe(403);
    expect((await admin(`Bearer ${seeded.serverKey}`)).status).toBe(403);
    expect((await admin('Bearer wrong-token-wrong-token')).status).toBe(403);
    expect((await admin(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
  });

  test('a revoked server key stops working at once', async () => {
    const { body: created } = await svc.admin('POST', `/environments/${seeded.clientKey}/server-keys`, { name: 'temp' });
    expect(created.key).toMatch(/^ser\./);
    expect((await sdk(created.key, 'GET', '/api/v1/environment-document/')).status).toBe(200);
    expect((await svc.admin('DELETE', `/environments/${seeded.clientKey}/server-keys/${created.id}`)).status).toBe(204);
    expect((await sdk(created.key, 'GET', '/api/v1/environment-document/')).status).toBe(401);
  });

  test('server keys are stored hashed: the key never appears in listings or the database', async () => {
    const list = await svc.admin('GET', `/environments/${seeded.clientKey}/server-keys`);
    expect(JSON.stringify(list.body)).not.toContain(seeded.serverKey);
    const rows = await svc.service.db.query<{ key_hash: string }>('SELECT key_hash FROM server_keys');
    expect(rows.map((r) => r.key_hash)).not.toContain(seeded.serverKey);
    const tokens = await svc.service.db.query<{ token_hash: string }>('SELECT token_hash FROM admin_tokens');
    expect(tokens.map((r) => r.token_hash)).not.toContain(ADMIN_TOKEN);
  });
});

test('environment document carries X-Flagsmith-Document-Updated-At, which moves on change', async () => {
  const first = await sdk(seeded.serverKey, 'GET', '/api/v1/environment-document/');
  const stamp = Number(first.headers.get('x-flagsmith-document-updated-at'));
  expect(stamp).toBeGreaterThan(1_600_000_000);
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/ratio`, { enabled: true });
  const second = await sdk(seeded.serverKey, 'GET', '/api/v1/environment-document/');
  expect(Number(second.headers.get('x-flagsmith-document-updated-at'))).toBeGreaterThan(stamp);
  expect(second.body.feature_states.find((fs: any) => fs.feature.name === 'ratio').enabled).toBe(true);
});

describe('identities', () => {
  test('POST returns identifier, flags and traits; GET returns the stored traits', async () => {
    const posted = await sdk(seeded.clientKey, 'POST', '/api/v1/identities/', {
      identifier: 'shape-1',
      traits: [
        { trait_key: 'age', trait_value: 33 },
        { trait_key: 'plan', trait_value: 'free' },
        { trait_key: 'ratio', trait_value: 0.25 },
        { trait_key: 'beta', trait_value: true },
      ],
    });
    expect(posted.status).toBe(200);
    expect(posted.body.identifier).toBe('shape-1');
    expect(posted.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
    const got = await sdk(seeded.clientKey, 'GET', '/api/v1/identities/?identifier=shape-1');
    expect(got.status).toBe(200);
    expect(Object.fromEntries(got.body.traits.map((t: any) => [t.trait_key, t.trait_value]))).toEqual({
      age: 33,
      plan: 'free',
      ratio: 0.25,
      beta: true,
    });
  });

  test('identifiers and trait values outside ASCII come back byte for byte, with a matching Content-Length', async () => {
    // The body is assembled from pre-encoded parts, so the head's UTF-8 length must be counted in bytes.
    const identifier = 'Zoë-日本-🚀';
    const traits = [{ trait_key: 'città', trait_value: 'Ünïcødé ✓' }];
    const response = await fetch(`${svc.url}/api/v1/identities/`, {
      method: 'POST',
      headers: { 'X-Environment-Key': seeded.clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier, traits }),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
    const body = JSON.parse(bytes.toString('utf8'));
    expect(body.identifier).toBe(identifier);
    expect(body.traits).toEqual(traits);
    expect(body.flags.length).toBeGreaterThan(0);
  });

  test('a null trait value deletes the trait', async () => {
    await sdk(seeded.clientKey, 'POST', '/api/v1/identities/', { identifier: 'del-1', traits: [{ trait_key: 'age', trait_value: 20 }] });
    const deleted = await sdk(seeded.clientKey, 'POST', '/api/v1/identities/', {
      identifier: 'del-1',
      traits: [{ trait_key: 'age', trait_value: null }],
    });
    expect(deleted.body.traits).toEqual([]);
    expect(deleted.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('hello');
  });

  test('an empty identifier is a transient identity: flags, nothing stored', async () => {
    const before = await svc.service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM identities');
    const response = await sdk(seeded.clientKey, 'POST', '/api/v1/identities/', {
      identifier: '',
      traits: [{ trait_key: 'age', trait_value: 70 }],
    });
    expect(response.status).toBe(200);
    expect(response.body.identifier).not.toBe('');
    expect(response.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
    const after = await svc.service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM identities');
    expect(after[0].n).toBe(before[0].n);
  });

  test('concurrent trait writes for many identities are all stored', async () => {
    const n = 60;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sdk(seeded.clientKey, 'POST', '/api/v1/identities/', {
          identifier: `batch-${i}`,
          traits: [{ trait_key: 'n', trait_value: i }],
        }),
      ),
    );
    const rows = await svc.service.db.query<{ identifier: string; value: number }>(
      "SELECT identifier, traits->'n' AS value FROM identities WHERE identifier LIKE 'batch-%' AND traits ? 'n'",
    );
    expect(rows).toHaveLength(n);
    for (const row of rows) expect(`batch-${row.value}`).toBe(row.identifier);
  });
});

test('analytics counts are stored per feature and summed', async () => {
  for (const body of [{ banner: 3, checkout: 1 }, { banner: 2 }]) {
    const { status } = await sdk(seeded.clientKey, 'POST', '/api/v1/analytics/flags/', body);
    expect(status).toBe(200);
  }
  const { body } = await svc.admin('GET', `/environments/${seeded.clientKey}/analytics`);
  const counts = Object.fromEntries(body.map((row: any) => [row.feature_name, row.count]));
  expect(counts).toEqual({ banner: 5, checkout: 1 });
});

test('/health answers and the OpenAPI document lists SDK and admin routes with their schemas', async () => {
  expect((await svc.call('GET', '/health')).status).toBe(200);
  const { status, body } = await svc.call('GET', '/api/v1/docs/openapi.json');
  expect(status).toBe(200);
  expect(body.openapi).toMatch(/^3\./);
  expect(Object.keys(body.paths)).toEqual(
    expect.arrayContaining(['/api/v1/flags/', '/api/v1/identities/', '/api/v1/admin/environments/{clientKey}/document']),
  );
  const identityPost = body.paths['/api/v1/identities/'].post;
  expect(JSON.stringify(identityPost.requestBody)).toContain('trait_key');
});
