/**
 * OFREP with the published OpenFeature server SDK and OFREP provider as the client: boolean, string,
 * number and object flags, targeting and splits agree with the Flagsmith SDK endpoints.
 */
import { OpenFeature, type Client } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { seedEnvironment, SAMPLE_IDENTITIES, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';

let svc: TestService;
let seeded: SeededEnvironment;
let client: Client;

beforeAll(async () => {
  svc = await startTestService();
  seeded = await seedEnvironment(svc);
  await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: svc.url, headers: [['X-API-Key', seeded.clientKey]] }));
  client = OpenFeature.getClient();
});
afterAll(async () => {
  await OpenFeature.close();
  await svc.stop();
});

/** The same identity through the Flagsmith SDK endpoint (transient, so nothing is stored). */
async function flagsmithFlags(identifier: string, traits: Record<string, string | number | boolean>) {
  const { body } = await svc.call('POST', '/api/v1/identities/', {
    headers: { 'X-Environment-Key': seeded.clientKey },
    body: { identifier, transient: true, traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })) },
  });
  return Object.fromEntries(body.flags.map((f: any) => [f.feature.name, f]));
}

test('every flag type agrees with the Flagsmith endpoints for every sample identity', async () => {
  for (const { identifier, traits } of SAMPLE_IDENTITIES) {
    const context = { targetingKey: identifier, ...traits };
    const expected = await flagsmithFlags(identifier, traits);

    const newUi = await client.getBooleanDetails('new_ui', true, context);
    expect(newUi.value).toBe(expected.new_ui.enabled);

    const banner = await client.getStringDetails('banner', 'fallback', context);
    expect(banner.value).toBe(expected.banner.feature_state_value);
    expect(banner.reason).toBe(expected.banner.feature_state_value === 'hello' ? 'DEFAULT' : 'TARGETING_MATCH');

    const maxItems = await client.getNumberDetails('max_items', -1, context);
    expect(maxItems.value).toBe(expected.max_items.feature_state_value);

    const theme = await client.getObjectDetails('theme', {}, context);
    expect(theme.value).toEqual(JSON.parse(expected.theme.feature_state_value));

    // checkout's variants mix strings and a number: ask for the type the identity lands on.
    const checkout =
      typeof expected.checkout.feature_state_value === 'number'
        ? await client.getNumberDetails('checkout', -1, context)
        : await client.getStringDetails('checkout', 'fallback', context);
    expect(checkout.value).toBe(expected.checkout.feature_state_value);

    const ratio = await client.getNumberDetails('ratio', -1, context);
    expect(ratio).toMatchObject({ value: 0.5, reason: 'DISABLED' });
  }
});

test('splits say SPLIT and land as the Flagsmith endpoint lands them', async () => {
  const reasons = new Set<string | undefined>();
  for (let i = 0; i < 40; i++) {
    const identifier = `split-${i}`;
    const expected = await flagsmithFlags(identifier, {});
    const details =
      typeof expected.checkout.feature_state_value === 'number'
        ? await client.getNumberDetails('checkout', -1, { targetingKey: identifier })
        : await client.getStringDetails('checkout', 'fallback', { targetingKey: identifier });
    expect(details.value).toBe(expected.checkout.feature_state_value);
    reasons.add(details.reason);
  }
  // Outside every variant: the default, or the 'half' segment's own value when the identity is in it.
  expect(reasons).toEqual(new Set(['SPLIT', 'DEFAULT', 'TARGETING_MATCH']));
});

test('errors: unknown flag, missing targeting key, wrong type', async () => {
  const missing = await client.getBooleanDetails('no_such_flag', false, { targetingKey: 'a' });
  expect(missing).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
  const noKey = await client.getStringDetails('checkout', 'fallback', {});
  expect(noKey).toMatchObject({ value: 'fallback', errorCode: 'TARGETING_KEY_MISSING' });
  const wrongType = await client.getBooleanDetails('banner', false, { targetingKey: 'a' });
  expect(wrongType).toMatchObject({ value: false, errorCode: 'TYPE_MISMATCH' });
  // Client keys never see server-key-only features.
  expect((await client.getStringDetails('secret_flag', 'x', { targetingKey: 'a' })).errorCode).toBe('FLAG_NOT_FOUND');
});

describe('on the wire', () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    svc.call('POST', path, { headers: { 'X-API-Key': seeded.clientKey, ...headers }, body });

  test('404 body carries the key and FLAG_NOT_FOUND; 200 is application/json', async () => {
    const notFound = await post('/ofrep/v1/evaluate/flags/nope', { context: { targetingKey: 'a' } });
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: expect.any(String) });
    const found = await post('/ofrep/v1/evaluate/flags/banner', { context: { targetingKey: 'a' } });
    expect(found.status).toBe(200);
    expect(found.headers.get('content-type')).toMatch(/^application\/json/);
    expect(found.body).toEqual({ key: 'banner', value: 'hello', reason: 'DEFAULT', variant: 'hello', metadata: expect.any(Object) });
  });

  test('missing targeting key where a split needs one: 400 TARGETING_KEY_MISSING', async () => {
    const { status, body } = await post('/ofrep/v1/evaluate/flags/checkout', { context: {} });
    expect(status).toBe(400);
    expect(body).toMatchObject({ key: 'checkout', errorCode: 'TARGETING_KEY_MISSING' });
  });

  test('bad input: malformed JSON is PARSE_ERROR, a non-string targeting key INVALID_CONTEXT', async () => {
    const malformed = await svc.call('POST', '/ofrep/v1/evaluate/flags/banner', {
      headers: { 'X-API-Key': seeded.clientKey, 'content-type': 'application/json' },
      rawBody: '{"context": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ key: 'banner', errorCode: 'PARSE_ERROR' });
    const badKey = await post('/ofrep/v1/evaluate/flags/banner', { context: { targetingKey: 5 } });
    expect(badKey.status).toBe(400);
    expect(badKey.body).toMatchObject({ key: 'banner', errorCode: 'INVALID_CONTEXT' });
  });

  test('auth: X-API-Key or Bearer; none or unknown is 401', async () => {
    const bearer = await svc.call('POST', '/ofrep/v1/evaluate/flags', {
      headers: { authorization: `Bearer ${seeded.serverKey}` },
      body: { context: { targetingKey: 'a' } },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.body.flags.map((f: any) => f.key)).toContain('secret_flag');
    expect((await svc.call('POST', '/ofrep/v1/evaluate/flags', { body: { context: {} } })).status).toBe(401);
    expect((await post('/ofrep/v1/evaluate/flags', { context: {} }, { 'X-API-Key': 'nope' })).status).toBe(401);
  });

  test('bulk: every flag, per-flag errors, ETag and If-None-Match → 304', async () => {
    const first = await post('/ofrep/v1/evaluate/flags', { context: {} });
    expect(first.status).toBe(200);
    const byKey = Object.fromEntries(first.body.flags.map((f: any) => [f.key, f]));
    expect(byKey.banner).toMatchObject({ value: 'hello', reason: 'STATIC' });
    expect(byKey.checkout).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    expect(byKey.secret_flag).toBeUndefined();
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await post('/ofrep/v1/evaluate/flags', { context: {} }, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    const other = await post('/ofrep/v1/evaluate/flags', { context: { targetingKey: 'someone', age: 40 } }, { 'If-None-Match': etag });
    expect(other.status).toBe(200);
    expect(Object.fromEntries(other.body.flags.map((f: any) => [f.key, f])).banner).toMatchObject({
      value: 'adult banner',
      reason: 'TARGETING_MATCH',
    });
  });
});
