/**
 * Hostile input, table by table, as a stranger holding the public client key (or a careless admin)
 * sends it: text PostgreSQL cannot store, identities grown past their bounds, patterns RE2 cannot run,
 * cross-origin callers, slow clients. Every refusal is a 4xx naming what is wrong, and changes nothing.
 * (A catastrophic REGEX against a running service, and the process-level mistakes, are in
 * test/service/hostile-process.test.ts, where a stall cannot stall the test.)
 */
import { connect } from 'node:net';
import { UNSAFE_TEXT_MESSAGE } from '../../service/schemas/validation';
import { usingPostgres } from '../support/database';
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';
import { storedState } from '../support/stored-state';

let svc: TestService;
let seeded: SeededEnvironment;

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc);
});
afterAll(() => svc.stop());

const client = () => ({ 'X-Environment-Key': seeded.clientKey });
const adminAuth = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('text PostgreSQL cannot store: refused with 400 at the schema, on every kind of route', () => {
  // Raw JSON, so that the escapes reach the parser as an attacker writes them.
  const NUL = '"a\\u0000b"';
  const HIGH = '"\\ud800"';
  const LOW = '"x\\udc00y"';
  type Case = [name: string, method: string, path: string, raw: string | undefined, who: 'client' | 'admin', where: RegExp];
  const cases: Case[] = [
    ['identity: identifier with NUL', 'POST', '/api/v1/identities/', `{"identifier": ${NUL}}`, 'client', /^body\/identifier /],
    ['identity: lone low surrogate identifier', 'POST', '/api/v1/identities/', `{"identifier": ${LOW}}`, 'client', /^body\/identifier /],
    [
      'identity: trait key with NUL',
      'POST',
      '/api/v1/identities/',
      `{"identifier": "a", "traits": [{"trait_key": ${NUL}, "trait_value": 1}]}`,
      'client',
      /^body\/traits\/0\/trait_key /,
    ],
    [
      'identity: trait value with NUL',
      'POST',
      '/api/v1/identities/',
      `{"identifier": "a", "traits": [{"trait_key": "k", "trait_value": ${NUL}}]}`,
      'client',
      /^body\/traits\/0\/trait_value /,
    ],
    [
      'identity: trait value a lone surrogate',
      'POST',
      '/api/v1/identities/',
      `{"identifier": "a", "traits": [{"trait_key": "k", "trait_value": ${HIGH}}]}`,
      'client',
      /^body\/traits\/0\/trait_value /,
    ],
    ['identity: %00 in the query', 'GET', '/api/v1/identities/?identifier=a%00b', undefined, 'client', /^querystring\/identifier /],
    ['flags: %00 in the feature', 'GET', '/api/v1/flags/?feature=%00', undefined, 'client', /^querystring\/feature /],
    ['analytics: feature name with NUL', 'POST', '/api/v1/analytics/flags/', `{${NUL}: 1}`, 'client', /^body\/a\ufffdb /],
    [
      'ofrep: context value a lone surrogate',
      'POST',
      '/ofrep/v1/evaluate/flags',
      `{"context": {"targetingKey": "t", "plan": ${HIGH}}}`,
      'client',
      /body\/context\/plan /,
    ],
    ['ofrep: context key with NUL', 'POST', '/ofrep/v1/evaluate/flags', `{"context": {${NUL}: "x"}}`, 'client', /body\/context\//],
    [
      'ofrep: nested context value with NUL',
      'POST',
      '/ofrep/v1/evaluate/flags',
      `{"context": {"targetingKey": "t", "deep": {"list": [${NUL}]}}}`,
      'client',
      /body\/context\/deep\/list\/0 /,
    ],
    ['ofrep: %00 in the flag key', 'POST', '/ofrep/v1/evaluate/flags/ban%00ner', '{}', 'client', /params\/key /],
    ['admin: project name with NUL', 'POST', '/api/v1/admin/projects', `{"name": ${NUL}}`, 'admin', /^body\/name /],
    [
      'admin: feature value with NUL',
      'PATCH',
      '/api/v1/admin/environments/ENV/feature-states/banner',
      `{"value": ${NUL}}`,
      'admin',
      /^body\/value /,
    ],
    [
      'admin: condition value with NUL',
      'POST',
      '/api/v1/admin/projects/PROJECT/segments',
      `{"name": "s", "rules": [{"type": "ALL", "rules": [], "conditions": [{"operator": "EQUAL", "property_": "p", "value": ${NUL}}]}]}`,
      'admin',
      /^body\/rules\/0\/conditions\/0\/value /,
    ],
    [
      'admin: trait value a lone surrogate',
      'PATCH',
      '/api/v1/admin/environments/ENV/identities/ada/traits',
      `{"plan": ${HIGH}}`,
      'admin',
      /^body\/plan /,
    ],
    [
      'admin: %00 in a path parameter',
      'GET',
      '/api/v1/admin/environments/ENV/feature-states/ban%00ner',
      undefined,
      'admin',
      /^params\/featureName /,
    ],
  ];

  test.each(cases)('%s', async (_name, method, path, raw, who, where) => {
    const before = await storedState(svc.service.db);
    const concrete = path.replace('ENV', seeded.clientKey).replace('PROJECT', String(seeded.projectId));
    const headers: Record<string, string> = { ...(who === 'client' ? client() : adminAuth), 'X-API-Key': seeded.clientKey };
    if (raw !== undefined) headers['content-type'] = 'application/json';
    const response = await svc.call(method, concrete, { headers, rawBody: raw });
    expect(response.status).toBe(400);
    const message: string = response.body.error?.message ?? response.body.errorDetails;
    expect(message).toContain(UNSAFE_TEXT_MESSAGE);
    expect(message).toMatch(where);
    expect(await storedState(svc.service.db)).toEqual(before);
  });

  test('a NUL in a header is refused by the HTTP parser before any route', async () => {
    const answer = await rawExchange(`GET /api/v1/flags/ HTTP/1.1\r\nHost: x\r\nX-Environment-Key: a\u0000b\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  test('honest identity writes sent together with poisoned ones all succeed', async () => {
    const honest = Array.from({ length: 200 }, (_, i) =>
      svc.call('POST', '/api/v1/identities/', {
        headers: client(),
        body: { identifier: `honest-${i}`, traits: [{ trait_key: 'n', trait_value: i }] },
      }),
    );
    const poisoned = Array.from({ length: 20 }, (_, i) =>
      svc.call('POST', '/api/v1/identities/', {
        headers: { ...client(), 'content-type': 'application/json' },
        rawBody: `{"identifier": "poison-${i}", "traits": [{"trait_key": "n", "trait_value": "\\u0000"}]}`,
      }),
    );
    const [good, bad] = await Promise.all([Promise.all(honest), Promise.all(poisoned)]);
    expect(good.map((r) => r.status)).toEqual(good.map(() => 200));
    expect(bad.map((r) => r.status)).toEqual(bad.map(() => 400));
    const [{ n }] = await svc.service.db.query<{ n: number }>("SELECT count(*)::int AS n FROM identities WHERE identifier LIKE 'honest-%'");
    expect(n).toBe(200);
  });
});

describe('bounds per identity, from the settings', () => {
  let small: TestService;
  let key: string;
  beforeAll(async () => {
    small = await startTestService({
      FLAGSTACK_MAX_TRAITS_PER_IDENTITY: '5',
      FLAGSTACK_MAX_TRAIT_KEY_LENGTH: '10',
      FLAGSTACK_MAX_TRAIT_VALUE_LENGTH: '20',
      FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES: '1024',
    });
    key = (await seedEnvironment(small, 'small_limits_key')).clientKey;
    const stored = await small.call('POST', '/api/v1/identities/', {
      headers: { 'X-Environment-Key': key },
      body: { identifier: 'bounded', traits: traits(3, 5) },
    });
    expect(stored.status).toBe(200);
  });
  afterAll(() => small.stop());

  const traits = (count: number, size: number, prefix = 'k') =>
    Array.from({ length: count }, (_, i) => ({ trait_key: `${prefix}${i}`, trait_value: 'v'.repeat(size) }));
  const identity = (body: unknown) => small.call('POST', '/api/v1/identities/', { headers: { 'X-Environment-Key': key }, body });

  test.each([
    [
      'a key past FLAGSTACK_MAX_TRAIT_KEY_LENGTH',
      { identifier: 'bounded', traits: [{ trait_key: 'k'.repeat(11), trait_value: 1 }] },
      /body\/traits\/0\/trait_key must NOT have more than 10 characters/,
    ],
    [
      'a value past FLAGSTACK_MAX_TRAIT_VALUE_LENGTH',
      { identifier: 'bounded', traits: [{ trait_key: 'k', trait_value: 'v'.repeat(21) }] },
      /body\/traits\/0\/trait_value must NOT have more than 20 characters/,
    ],
    [
      'more traits in one request than an identity may hold',
      { identifier: 'fresh', traits: traits(6, 1) },
      /body\/traits must NOT have more than 5 items/,
    ],
    [
      'traits that add up past FLAGSTACK_MAX_TRAITS_PER_IDENTITY',
      { identifier: 'bounded', traits: traits(3, 1, 'more') },
      /"bounded" would hold 6 traits; at most 5/,
    ],
  ])('%s: 400 naming the bound, nothing stored', async (_name, body, message) => {
    const before = await storedState(small.service.db);
    const refused = await identity(body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(message);
    expect(await storedState(small.service.db)).toEqual(before);
  });

  test('traits whose JSON passes FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES: 400, nothing stored', async () => {
    const wide = await startTestService({ FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES: '1024' });
    try {
      const wideKey = (await seedEnvironment(wide, 'wide_bytes_key')).clientKey;
      const body = { identifier: 'big', traits: traits(3, 400) };
      const refused = await wide.call('POST', '/api/v1/identities/', { headers: { 'X-Environment-Key': wideKey }, body });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({
        code: 'TRAIT_LIMIT_EXCEEDED',
        message: expect.stringMatching(/bytes of traits; at most 1024/),
      });
      expect((await wide.admin('GET', `/environments/${wideKey}/identities/big`)).status).toBe(404);
    } finally {
      await wide.stop();
    }
  });

  test('OFREP context values meet the same limits', async () => {
    const refused = await small.call('POST', '/ofrep/v1/evaluate/flags', {
      headers: { 'X-API-Key': key },
      body: { context: { targetingKey: 't', plan: 'v'.repeat(21) } },
    });
    expect(refused).toMatchObject({
      status: 400,
      body: {
        errorCode: 'INVALID_CONTEXT',
        errorDetails: expect.stringMatching(/body\/context\/plan must NOT have more than 20 characters/),
      },
    });
  });

  test('admin trait edits meet them too', async () => {
    const refused = await small.admin('PATCH', '/environments/small_limits_key/identities/bounded/traits', { a: 1, b: 2, c: 3 });
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'TRAIT_LIMIT_EXCEEDED' } } });
    const identity = await small.admin('GET', '/environments/small_limits_key/identities/bounded');
    expect(Object.keys(identity.body.traits)).toHaveLength(3);
  });
});

describe('REGEX patterns the linear-time matcher cannot run are refused where they are written', () => {
  const segment = (value: string) => ({
    name: 'patterned',
    rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'REGEX', property_: 'nick', value }] }],
  });

  test.each([
    ['a look-ahead', '^(?=a)a'],
    ['a back-reference', '(a)\\1'],
    ['a pattern JavaScript refuses', '(unclosed'],
    ['a repeat RE2 refuses', 'a{1001}'],
  ])('%s: 400 naming the segment and the condition, nothing stored', async (_name, pattern) => {
    const before = await storedState(svc.service.db);
    const created = await svc.admin('POST', `/projects/${seeded.projectId}/segments`, segment(pattern));
    expect(created.status).toBe(400);
    expect(created.body.error.message).toMatch(/^body\/rules\/0\/conditions\/0\/value \(segment 'patterned'\): REGEX /);
    expect(await storedState(svc.service.db)).toEqual(before);
  });

  test('on update, and on document import (the path names the segment in the document)', async () => {
    const adults = seeded.segmentIds.adults;
    const before = await storedState(svc.service.db);
    const updated = await svc.admin('PATCH', `/segments/${adults}`, { rules: segment('(?<=a)b').rules });
    expect(updated.status).toBe(400);
    expect(updated.body.error.message).toMatch(/segment 'adults'/);

    const { body: document } = await svc.admin('GET', `/environments/${seeded.clientKey}/document`);
    document.project.segments[1].rules = segment('(a)\\1').rules;
    const imported = await svc.admin('PUT', `/environments/${seeded.clientKey}/document`, document);
    expect(imported.status).toBe(400);
    expect(imported.body.error.message).toMatch(
      new RegExp(`^body/project/segments/1/rules/0/conditions/0/value \\(segment '${document.project.segments[1].name}'\\)`),
    );
    expect(await storedState(svc.service.db)).toEqual(before);
  });

  test('condition values are capped at 1,000 characters, as in Flagsmith', async () => {
    const refused = await svc.admin('POST', `/projects/${seeded.projectId}/segments`, segment('a'.repeat(1001)));
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/body\/rules\/0\/conditions\/0\/value must NOT have more than 1000 characters/);
  });
});

describe('CORS', () => {
  /** Headers and status only; the body is read, so that no response holds its connection open. */
  const headersOf = async (response: Promise<Response>) => {
    const answered = await response;
    await answered.arrayBuffer();
    return answered;
  };
  const preflight = (base: string, path: string, origin: string, requestHeaders: string) =>
    headersOf(
      fetch(base + path, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
      }),
    );
  const SDK_HEADERS =
    'content-type,x-environment-key,flagsmith-application-name,flagsmith-application-version,flagsmith-sdk-user-agent,x-api-key,authorization,if-none-match';

  test.each([
    '/api/v1/flags/',
    '/api/v1/identities/',
    '/api/v1/environment-document/',
    '/api/v1/analytics/flags/',
    '/ofrep/v1/evaluate/flags',
    '/ofrep/v1/evaluate/flags/banner',
  ])('a preflight to %s from any site is allowed, with every header the SDKs send', async (path) => {
    const response = await preflight(svc.url, path, 'https://shop.example', SDK_HEADERS);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = response.headers
      .get('access-control-allow-headers')!
      .toLowerCase()
      .split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(SDK_HEADERS.split(',')));
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
  });

  test('answers carry Access-Control-Allow-Origin and expose the headers SDKs read', async () => {
    const response = await headersOf(fetch(`${svc.url}/api/v1/flags/`, { headers: { ...client(), origin: 'https://shop.example' } }));
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const exposed = response.headers
      .get('access-control-expose-headers')!
      .toLowerCase()
      .split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['etag', 'x-flagsmith-document-updated-at', 'x-request-id']));
  });

  test.each(['/health', '/ready', '/metrics', '/api/v1/docs/openapi.json'])(
    '%s, for probes and scrapers, sends no CORS headers',
    async (path) => {
      const response = await headersOf(fetch(svc.url + path, { headers: { origin: 'https://shop.example' } }));
      expect(response.status).toBe(200);
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    },
  );

  test('admin routes send no CORS headers, for preflights or answers', async () => {
    const pre = await preflight(svc.url, '/api/v1/admin/projects', 'https://shop.example', 'authorization,content-type');
    expect(pre.status).toBe(404);
    expect([...pre.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const answer = await headersOf(
      fetch(`${svc.url}/api/v1/admin/projects`, { headers: { ...adminAuth, origin: 'https://shop.example' } }),
    );
    expect(answer.status).toBe(200);
    expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  test('listed origins: only those are allowed, each answer names its own origin and varies on it', async () => {
    const listed = await startTestService({
      FLAGSTACK_CORS_ORIGINS: 'https://shop.example, https://App.example:443/',
      FLAGSTACK_ADMIN_CORS_ORIGINS: 'https://console.example',
    });
    try {
      const allowed = await preflight(listed.url, '/api/v1/identities/', 'https://app.example', 'content-type,x-environment-key');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(allowed.headers.get('vary')).toMatch(/Origin/);
      const other = await preflight(listed.url, '/api/v1/identities/', 'https://evil.example', 'content-type,x-environment-key');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const admin = await preflight(listed.url, '/api/v1/admin/projects', 'https://console.example', 'authorization,content-type');
      expect(admin.status).toBe(204);
      expect(admin.headers.get('access-control-allow-origin')).toBe('https://console.example');
      expect(admin.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      const shopOnAdmin = await preflight(listed.url, '/api/v1/admin/projects', 'https://shop.example', 'authorization');
      expect(shopOnAdmin.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await listed.stop();
    }
  });
});

describe('slow clients', () => {
  test('a request whose body never finishes gets 408 and its connection closed', async () => {
    const strict = await startTestService({ FLAGSTACK_HEADERS_TIMEOUT_MS: '1000', FLAGSTACK_REQUEST_TIMEOUT_MS: '1500' });
    try {
      const { port } = new URL(strict.url);
      const started = Date.now();
      // Without the timeout, Node would keep this socket for five minutes.
      const answer = await rawExchange(
        'POST /api/v1/identities/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"identifier"',
        Number(port),
        20_000,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await strict.stop();
    }
  });

  test("idle keep-alive connections outlive the load balancers' 60 s idle timeout", () => {
    expect(svc.service.app.server.keepAliveTimeout).toBe(65_000);
    expect(svc.service.app.server.headersTimeout).toBe(10_000);
    expect(svc.service.app.server.requestTimeout).toBe(30_000);
  });
});

// PGlite has one connection, which runs transactions one after another: only PostgreSQL can interleave them.
(usingPostgres() ? describe : describe.skip)('the audit log under concurrent writes (needs PostgreSQL: DATABASE_URL)', () => {
  test("50 concurrent changes of one feature state: each audit row's before is the previous row's after, in commit order", async () => {
    const path = `/environments/${seeded.clientKey}/feature-states/max_items`;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => svc.admin('PATCH', path, { value: i + 1000 })));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const rows = await svc.service.db.query<{ before: { value: unknown }; after: { value: unknown }; at: Date }>(
      "SELECT before, after, at FROM audit_log WHERE entity_type = 'feature_state' AND (after->>'feature') = 'max_items' AND (after->>'value')::int >= 1000 ORDER BY id",
    );
    expect(rows).toHaveLength(50);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].before).toEqual(rows[i - 1].after);
      expect(rows[i].at.getTime()).toBeGreaterThanOrEqual(rows[i - 1].at.getTime());
    }
    const [{ value }] = await svc.service.db.query<{ value: number }>(
      "SELECT s.value FROM feature_states s JOIN features f ON f.id = s.feature_id WHERE f.name = 'max_items' AND s.segment_id IS NULL AND s.identity_id IS NULL",
    );
    expect(rows[49].after.value).toBe(value);
  });

  test("40 concurrent sets and removals of one identity's overrides: the same chain", async () => {
    const path = `/environments/${seeded.clientKey}/identities/audited-ada/overrides/banner`;
    await svc.admin('PUT', path, { enabled: true, value: 'first' });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 3 === 2 ? svc.admin('DELETE', path) : svc.admin('PUT', path, { enabled: true, value: `v${i}` }),
      ),
    );
    expect(results.every((r) => r.status === 200 || r.status === 204 || r.status === 404)).toBe(true);
    const rows = await svc.service.db.query<{ before: unknown; after: unknown }>(
      `SELECT a.before, a.after FROM audit_log a JOIN identities i ON i.id::text = a.entity_id
        WHERE a.entity_type = 'identity_override' AND i.identifier = 'audited-ada' ORDER BY a.id`,
    );
    expect(rows.length).toBe(1 + results.filter((r) => r.status !== 404).length);
    for (let i = 1; i < rows.length; i++) expect(rows[i].before).toEqual(rows[i - 1].after);
  });
});

/** Sends raw bytes on a fresh connection and resolves with everything read until the server closes it. */
function rawExchange(request: string, port = Number(new URL(svc.url).port), timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got: ${received}`));
    }, timeoutMs);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', () => undefined);
    socket.write(Buffer.from(request, 'latin1'));
  });
}
