/**
 * The edge's SDK endpoints over a mocked flag table: answers, auth, errors, the in-memory copy and its
 * revalidation, traits in the table, and what happens when the table cannot be reached.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentKey, headKey, TRAIT_PREFIX, traitsKey } from '../../service/edge/flag-table';
import type { EnvironmentDocument } from '../../service/schemas/environment-document';
import { documentWith, rule, segment, state } from '../engine/build-document';
import { FakeTable, serverError } from './fake-table';
import { edge, publish, TABLE } from './support';

const CLIENT = 'edge_client_key';
const SERVER = 'ser.edge_server_key_0123456789';

/** Three flags, one server-only, a segment on `age`, a 50% split and an identity override. */
function sampleDocument(extra: Partial<EnvironmentDocument> = {}): EnvironmentDocument {
  const adults = segment(
    7,
    'adults',
    [rule('ALL', [{ operator: 'GREATER_THAN_INCLUSIVE', property_: 'age', value: '18' }])],
    [state(1, 'banner', 'adult banner', { django_id: 901, feature_segment: { priority: 1 } })],
  );
  const doc = documentWith({
    id: 42,
    api_key: CLIENT,
    feature_states: [
      state(1, 'banner', 'hello'),
      state(2, 'secret', 'internal'),
      state(3, 'checkout', 'control', {
        multivariate_feature_state_values: [
          { id: 1, multivariate_feature_option: { id: 1, value: 'variant_a' }, percentage_allocation: 50 },
        ],
      }),
    ],
    segments: [adults],
    identity_overrides: [
      {
        identifier: 'vip',
        identity_uuid: 'u-vip',
        django_id: 5,
        identity_features: [state(1, 'banner', 'vip banner', { django_id: 77 })],
        identity_traits: [],
      },
    ] as EnvironmentDocument['identity_overrides'],
    ...extra,
  });
  doc.project.server_key_only_feature_ids = [2];
  return doc;
}

let table: FakeTable;
beforeEach(() => (table = new FakeTable()));
afterEach(() => table.restore());

const client = { 'X-Environment-Key': CLIENT };
const server = { 'X-Environment-Key': SERVER };

describe('flags', () => {
  test('GET /api/v1/flags/ serves Flagsmith flag objects; client keys never see server-only flags', async () => {
    await publish(table, sampleDocument(), { serverKeys: [SERVER] });
    const { call } = edge(table);
    const asClient = await call('GET', '/api/v1/flags/', { headers: client });
    expect(asClient.status).toBe(200);
    expect(asClient.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(asClient.body.map((f: any) => f.feature.name)).toEqual(['banner', 'checkout']);
    expect(asClient.body[0]).toEqual({
      id: 100,
      feature: {
        id: 1,
        name: 'banner',
        created_date: '2026-01-01T00:00:00.000Z',
        description: null,
        initial_value: 'hello',
        default_enabled: true,
        type: 'STANDARD',
      },
      feature_state_value: 'hello',
      environment: 42,
      identity: null,
      feature_segment: null,
      enabled: true,
    });
    const asServer = await call('GET', '/api/v1/flags', { headers: server });
    expect(asServer.body.map((f: any) => f.feature.name)).toEqual(['banner', 'secret', 'checkout']);
  });

  test('?feature= gives one flag, 404 naming an unknown or hidden one; HEAD has no body', async () => {
    await publish(table, sampleDocument(), { serverKeys: [SERVER] });
    const { call } = edge(table);
    expect((await call('GET', '/api/v1/flags/?feature=checkout', { headers: client })).body.feature_state_value).toBe('control');
    const hidden = await call('GET', '/api/v1/flags/?feature=secret', { headers: client });
    expect(hidden).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: "Feature 'secret' not found" } } });
    expect((await call('GET', '/api/v1/flags/?feature=secret', { headers: server })).status).toBe(200);
    const head = await call('HEAD', '/api/v1/flags/', { headers: client });
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(head.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('identities', () => {
  test('POST evaluates with the traits and stores them in the table; GET reads them back', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    const posted = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: {
        identifier: 'ann',
        traits: [
          { trait_key: 'age', trait_value: 30 },
          { trait_key: 'plan', trait_value: 'pro' },
          { trait_key: 'beta', trait_value: true },
        ],
      },
    });
    expect(posted.status).toBe(200);
    expect(posted.body.identifier).toBe('ann');
    expect(posted.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
    const item = table.item(traitsKey(42, 'ann').pk, 'traits')!;
    expect(item).toMatchObject({
      identifier: 'ann',
      environmentId: 42,
      [`${TRAIT_PREFIX}age`]: '30',
      [`${TRAIT_PREFIX}plan`]: '"pro"',
      [`${TRAIT_PREFIX}beta`]: 'true',
    });

    const got = await call('GET', '/api/v1/identities/?identifier=ann', { headers: client });
    expect(got.body.traits).toEqual([
      { trait_key: 'age', trait_value: 30 },
      { trait_key: 'beta', trait_value: true },
      { trait_key: 'plan', trait_value: 'pro' },
    ]);
    expect(got.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
  });

  test('null deletes a trait; unchanged traits cost a read and no write', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'bo', traits: [{ trait_key: 'age', trait_value: 20 }] },
    });
    const updates = table.calls('Update');
    await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'bo', traits: [{ trait_key: 'age', trait_value: 20 }] },
    });
    expect(table.calls('Update')).toBe(updates);
    const deleted = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'bo', traits: [{ trait_key: 'age', trait_value: null }] },
    });
    expect(deleted.body.traits).toEqual([]);
    expect(deleted.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('hello');
    expect(table.item(traitsKey(42, 'bo').pk, 'traits')![`${TRAIT_PREFIX}age`]).toBeUndefined();
  });

  test('transient traits and transient identities are never stored; an empty identifier is a generated one', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    const mixed = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: {
        identifier: 'cy',
        traits: [
          { trait_key: 'age', trait_value: 40, transient: true },
          { trait_key: 'plan', trait_value: 'free' },
        ],
      },
    });
    expect(mixed.body.traits).toEqual([
      { trait_key: 'plan', trait_value: 'free' },
      { trait_key: 'age', trait_value: 40, transient: true },
    ]);
    expect(Object.keys(table.item(traitsKey(42, 'cy').pk, 'traits')!).filter((k) => k.startsWith(TRAIT_PREFIX))).toEqual([
      `${TRAIT_PREFIX}plan`,
    ]);

    const writes = table.calls('Update');
    const transient = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'dee', transient: true, traits: [{ trait_key: 'age', trait_value: 70 }] },
    });
    expect(transient.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
    const anonymous = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: '', traits: [{ trait_key: 'age', trait_value: 70 }] },
    });
    expect(anonymous.body.identifier).toMatch(/^[0-9a-f-]{36}$/);
    expect(table.calls('Update')).toBe(writes);
    expect(table.item(traitsKey(42, 'dee').pk, 'traits')).toBeUndefined();
  });

  test('identity overrides and splits come from the published document', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    const vip = await call('GET', '/api/v1/identities/?identifier=vip&transient=true', { headers: client });
    expect(vip.body.flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('vip banner');
    const values = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { body } = await call('GET', `/api/v1/identities/?identifier=user-${i}&transient=true`, { headers: client });
      values.add(body.flags.find((f: any) => f.feature.name === 'checkout').feature_state_value);
    }
    expect(values).toEqual(new Set(['control', 'variant_a']));
  });

  test('an environment that refuses client traits ignores them from client keys', async () => {
    await publish(table, sampleDocument({ allow_client_traits: false }), { serverKeys: [SERVER] });
    const { call } = edge(table);
    const asClient = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'eve', traits: [{ trait_key: 'age', trait_value: 30 }] },
    });
    expect(asClient.body.traits).toEqual([]);
    const asServer = await call('POST', '/api/v1/identities/', {
      headers: server,
      json: { identifier: 'eve', traits: [{ trait_key: 'age', trait_value: 30 }] },
    });
    expect(asServer.body.traits).toEqual([{ trait_key: 'age', trait_value: 30 }]);
  });

  test('with a TTL, traits expire, and an expired item starts afresh', async () => {
    await publish(table, sampleDocument());
    const { call, clock } = edge(table, { ttlDays: 1 });
    await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'fay', traits: [{ trait_key: 'age', trait_value: 30 }] },
    });
    const item = table.item(traitsKey(42, 'fay').pk, 'traits')!;
    expect(item.expiresAt).toBe(Math.floor(clock.now / 1000) + 86_400);

    // Half the TTL on, an unchanged write renews the expiry.
    clock.now += 13 * 3600 * 1000;
    await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'fay', traits: [{ trait_key: 'age', trait_value: 30 }] },
    });
    expect(table.item(traitsKey(42, 'fay').pk, 'traits')!.expiresAt).toBe(Math.floor(clock.now / 1000) + 86_400);

    clock.now += 25 * 3600 * 1000;
    expect((await call('GET', '/api/v1/identities/?identifier=fay', { headers: client })).body.traits).toEqual([]);
    const fresh = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'fay', traits: [{ trait_key: 'plan', trait_value: 'pro' }] },
    });
    expect(fresh.body.traits).toEqual([{ trait_key: 'plan', trait_value: 'pro' }]);
    expect(table.item(traitsKey(42, 'fay').pk, 'traits')![`${TRAIT_PREFIX}age`]).toBeUndefined();
  });

  test('an identity whose traits would pass the bounds gets a 400 naming the bound, and keeps what it had', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    const traits = (prefix: string, count: number, size: number) =>
      Array.from({ length: count }, (_, i) => ({ trait_key: `${prefix}${i}`, trait_value: 'x'.repeat(size) }));
    expect(
      (await call('POST', '/api/v1/identities/', { headers: client, json: { identifier: 'gus', traits: traits('a', 20, 1900) } })).status,
    ).toBe(200);
    // 20 + 20 values of 1,900 characters: past the 65,536 bytes an identity may hold by default.
    const tooBig = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'gus', traits: traits('b', 20, 1900) },
    });
    expect(tooBig).toMatchObject({ status: 400, body: { error: { code: 'TRAIT_LIMIT_EXCEEDED' } } });
    expect(tooBig.body.error.message).toMatch(/bytes of traits; at most 65536 are allowed per identity/);
    // 200 traits at most: 20 stored and 181 more is one too many.
    const tooMany = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'gus', traits: [...traits('c', 181, 1)] },
    });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'TRAIT_LIMIT_EXCEEDED' } } });
    expect(tooMany.body.error.message).toMatch(/201 traits; at most 200/);
    const stored = await call('GET', '/api/v1/identities/?identifier=gus', { headers: client });
    expect(stored.body.traits.map((t: { trait_key: string }) => t.trait_key).sort()).toEqual(
      traits('a', 20, 0)
        .map((t) => t.trait_key)
        .sort(),
    );
  });
});

describe('environment document', () => {
  test('server keys get the document with its timestamp header; client keys 403', async () => {
    const document = sampleDocument();
    await publish(table, document, { serverKeys: [SERVER], updatedAt: new Date('2026-03-04T05:06:07.089Z') });
    const { call } = edge(table);
    const asServer = await call('GET', '/api/v1/environment-document/', { headers: server });
    expect(asServer.status).toBe(200);
    expect(asServer.body).toEqual(document);
    expect(asServer.headers['x-flagsmith-document-updated-at']).toBe((Date.parse('2026-03-04T05:06:07.089Z') / 1000).toFixed(6));
    const asClient = await call('GET', '/api/v1/environment-document/', { headers: client });
    expect(asClient).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});

describe('OFREP', () => {
  const ofrep = { 'X-API-Key': CLIENT };

  test('single flag, bulk with ETag and If-None-Match, Bearer keys', async () => {
    await publish(table, sampleDocument(), { serverKeys: [SERVER] });
    const { call } = edge(table);
    const one = await call('POST', '/ofrep/v1/evaluate/flags/banner', {
      headers: ofrep,
      json: { context: { targetingKey: 'x', age: 30 } },
    });
    expect(one).toMatchObject({
      status: 200,
      body: { key: 'banner', value: 'adult banner', reason: 'TARGETING_MATCH', variant: 'adult banner' },
    });
    const bulk = await call('POST', '/ofrep/v1/evaluate/flags', { headers: ofrep, json: { context: {} } });
    expect(bulk.status).toBe(200);
    expect(Object.fromEntries(bulk.body.flags.map((f: any) => [f.key, f.errorCode ?? f.value]))).toEqual({
      banner: 'hello',
      checkout: 'TARGETING_KEY_MISSING',
    });
    const etag = bulk.headers.etag;
    expect(etag).toMatch(/^".+"$/);
    const again = await call('POST', '/ofrep/v1/evaluate/flags', { headers: { ...ofrep, 'If-None-Match': etag }, json: { context: {} } });
    expect(again).toMatchObject({ status: 304, text: '' });
    expect(again.headers.etag).toBe(etag);
    const bearer = await call('POST', '/ofrep/v1/evaluate/flags', {
      headers: { Authorization: `Bearer ${SERVER}` },
      json: { context: {} },
    });
    expect(bearer.body.flags.map((f: any) => f.key)).toContain('secret');
  });

  test("OFREP's error shapes: unknown flag, missing targeting key, bad context, bad JSON, no key", async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    expect(await call('POST', '/ofrep/v1/evaluate/flags/nope', { headers: ofrep, json: {} })).toMatchObject({
      status: 404,
      body: { key: 'nope', errorCode: 'FLAG_NOT_FOUND', errorDetails: "Flag 'nope' not found" },
    });
    expect(await call('POST', '/ofrep/v1/evaluate/flags/checkout', { headers: ofrep, json: {} })).toMatchObject({
      status: 400,
      body: { key: 'checkout', errorCode: 'TARGETING_KEY_MISSING' },
    });
    expect(await call('POST', '/ofrep/v1/evaluate/flags/banner', { headers: ofrep, json: { context: { targetingKey: 5 } } })).toMatchObject(
      {
        status: 400,
        body: { key: 'banner', errorCode: 'INVALID_CONTEXT' },
      },
    );
    expect(await call('POST', '/ofrep/v1/evaluate/flags/banner', { headers: ofrep, json: { context: 5 } })).toMatchObject({
      status: 400,
      body: { key: 'banner', errorCode: 'INVALID_CONTEXT', errorDetails: 'body/context must be object' },
    });
    expect(
      await call('POST', '/ofrep/v1/evaluate/flags', { headers: { ...ofrep, 'content-type': 'application/json' }, body: '{"context": ' }),
    ).toMatchObject({
      status: 400,
      body: { errorCode: 'PARSE_ERROR' },
    });
    expect(await call('POST', '/ofrep/v1/evaluate/flags', { json: {} })).toMatchObject({
      status: 401,
      body: { errorCode: 'GENERAL', errorDetails: 'Missing X-API-Key or Authorization: Bearer header' },
    });
    expect(await call('POST', '/ofrep/v1/evaluate/flags', { headers: { 'X-API-Key': 'nope' }, json: {} })).toMatchObject({
      status: 401,
      body: { errorDetails: 'Invalid environment key' },
    });
  });
});

describe('request errors, as the service gives them', () => {
  test.each([
    ['malformed JSON', 'POST', '/api/v1/identities/', { 'content-type': 'application/json' }, '{"identifier": ', 400, 'INVALID_JSON'],
    ['empty JSON body', 'POST', '/api/v1/identities/', { 'content-type': 'application/json' }, '', 400, 'INVALID_JSON'],
    [
      'prototype poisoning',
      'POST',
      '/api/v1/identities/',
      { 'content-type': 'application/json' },
      '{"identifier":"a","__proto__":{"x":1}}',
      400,
      'INVALID_JSON',
    ],
    ['text/plain', 'POST', '/api/v1/identities/', { 'content-type': 'text/plain' }, 'x', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body without a content type', 'POST', '/api/v1/identities/', {}, '{"identifier":"a"}', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['no body at all', 'POST', '/api/v1/identities/', {}, undefined, 400, 'VALIDATION_ERROR'],
    [
      'identifier not a string',
      'POST',
      '/api/v1/identities/',
      { 'content-type': 'application/json' },
      '{"identifier":5}',
      400,
      'VALIDATION_ERROR',
    ],
    ['GET identities without identifier', 'GET', '/api/v1/identities/', {}, undefined, 400, 'VALIDATION_ERROR'],
    ['empty feature name', 'GET', '/api/v1/flags/?feature=', {}, undefined, 400, 'VALIDATION_ERROR'],
    ['unknown route', 'GET', '/api/v1/nope', {}, undefined, 404, 'NOT_FOUND'],
    ['wrong method', 'PUT', '/api/v1/flags/', {}, undefined, 404, 'NOT_FOUND'],
    [
      'analytics: negative count',
      'POST',
      '/api/v1/analytics/flags/',
      { 'content-type': 'application/json' },
      '{"banner":-1}',
      400,
      'VALIDATION_ERROR',
    ],
  ])('%s', async (_name, method, path, headers, body, status, code) => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    const response = await call(method, path, { headers: { ...client, ...headers }, body });
    expect(response).toMatchObject({ status, body: { error: { code, message: expect.any(String) } } });
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('validation runs before authentication, as in the service; messages match its format', async () => {
    const { call } = edge(table);
    const noKey = await call('POST', '/api/v1/identities/', { json: { identifier: 5 } });
    expect(noKey.body).toEqual({ error: { code: 'VALIDATION_ERROR', message: 'body/identifier must be string' } });
    const missing = await call('GET', '/api/v1/identities/');
    expect(missing.body.error.message).toBe('querystring/identifier must be set');
  });

  test('a body over the limit is 413', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table, { bodyLimit: 2048 });
    const response = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'a', traits: [{ trait_key: 'x', trait_value: 'y'.repeat(3000) }] },
    });
    expect(response).toMatchObject({ status: 413, body: { error: { code: 'BODY_TOO_LARGE' } } });
  });

  test('analytics are accepted and logged, not stored', async () => {
    await publish(table, sampleDocument());
    const logged: object[] = [];
    const { call } = edge(table, { log: { info: (fields) => logged.push(fields), warn() {}, error() {} } });
    const response = await call('POST', '/api/v1/analytics/flags/', { headers: client, json: { banner: 3 } });
    expect(response).toMatchObject({ status: 200, body: {} });
    expect(logged).toEqual([{ environmentId: 42, counts: { banner: 3 } }]);
  });
});

describe('keys', () => {
  test.each([
    ['no key', {}, 'Missing X-Environment-Key header'],
    ['an empty key', { 'X-Environment-Key': '' }, 'Missing X-Environment-Key header'],
    ['an unknown key', { 'X-Environment-Key': 'nope' }, 'Invalid X-Environment-Key'],
    ['an unknown server key', { 'X-Environment-Key': 'ser.nope' }, 'Invalid X-Environment-Key'],
  ])('%s is 401', async (_name, headers, message) => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    expect(await call('GET', '/api/v1/flags/', { headers })).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHORIZED', message } },
    });
  });

  test('an unknown key is remembered: a stream of bad keys costs one read per refresh interval', async () => {
    const { call, clock } = edge(table, { refreshMs: 5000 });
    for (let i = 0; i < 5; i++) await call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'bad_key_1' } });
    expect(table.calls('Get')).toBe(1);
    clock.now += 5000;
    await call('GET', '/api/v1/flags/', { headers: { 'X-Environment-Key': 'bad_key_1' } });
    expect(table.calls('Get')).toBe(2);
  });

  test('a revoked server key stops working once the environment is refreshed', async () => {
    const document = sampleDocument();
    await publish(table, document, { serverKeys: [SERVER] });
    const { call, clock } = edge(table);
    expect((await call('GET', '/api/v1/environment-document/', { headers: server })).status).toBe(200);
    await publish(table, document, { version: 2_000_000 });
    expect((await call('GET', '/api/v1/environment-document/', { headers: server })).status).toBe(200);
    clock.now += 5000;
    expect((await call('GET', '/api/v1/environment-document/', { headers: server })).status).toBe(401);
    expect((await call('GET', '/api/v1/flags/', { headers: client })).status).toBe(200);
  });
});

describe('the in-memory copy', () => {
  test('is read once, served from memory, and revalidated with one small read per interval', async () => {
    const document = sampleDocument();
    await publish(table, document);
    const { call, clock } = edge(table, { refreshMs: 5000 });
    await call('GET', '/api/v1/flags/', { headers: client });
    expect(table.calls('Get')).toBe(2); // the key, the document
    for (let i = 0; i < 20; i++) await call('GET', '/api/v1/flags/', { headers: client });
    expect(table.calls('Get')).toBe(2);

    clock.now += 5000;
    await call('GET', '/api/v1/flags/', { headers: client });
    expect(table.calls('Get')).toBe(3); // the head only: same version

    document.feature_states[0] = state(1, 'banner', 'changed');
    await publish(table, document, { version: 3_000_000 });
    const stillCached = await call('GET', '/api/v1/flags/?feature=banner', { headers: client });
    expect(stillCached.body.feature_state_value).toBe('hello');
    clock.now += 5000;
    const fresh = await call('GET', '/api/v1/flags/?feature=banner', { headers: client });
    expect(fresh.body.feature_state_value).toBe('changed');
    expect(table.calls('Get')).toBe(5); // head, then the new document
  });

  test('keeps serving the last good copy, marked stale, while the table is unreachable', async () => {
    await publish(table, sampleDocument());
    const logged: string[] = [];
    const { call, clock } = edge(table, { log: { info() {}, warn: (_f, m) => logged.push(m), error: (_f, m) => logged.push(m) } });
    expect((await call('GET', '/api/v1/flags/', { headers: client })).headers['x-flagstack-stale']).toBeUndefined();
    clock.now += 5000;
    table.failNext('Get', serverError(), 1);
    const stale = await call('GET', '/api/v1/flags/', { headers: client });
    expect(stale.status).toBe(200);
    expect(stale.headers['x-flagstack-stale']).toBe('table-unreachable');
    expect(logged).toContain('environment check failed; serving the last good copy');
    clock.now += 1000; // the retry interval
    expect((await call('GET', '/api/v1/flags/', { headers: client })).headers['x-flagstack-stale']).toBeUndefined();
  });

  test('without a copy, an unreachable table is 503 (CloudFront fails a GET over to the next region)', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    table.failNext('Get', serverError(), 1);
    expect(await call('GET', '/api/v1/flags/', { headers: client })).toMatchObject({
      status: 503,
      body: { error: { code: 'TABLE_UNAVAILABLE' } },
    });
    table.failNext('Get', serverError(), 2);
    expect(await call('POST', '/ofrep/v1/evaluate/flags', { headers: { 'X-API-Key': CLIENT }, json: {} })).toMatchObject({
      status: 503,
      body: { errorCode: 'GENERAL', errorDetails: 'The flag table is unavailable; try again shortly' },
    });
  });

  test('a trait write the table refuses is 503; nothing half-written is reported', async () => {
    await publish(table, sampleDocument());
    const { call } = edge(table);
    await call('GET', '/api/v1/flags/', { headers: client });
    table.failNext('Update', serverError(), 1);
    const response = await call('POST', '/api/v1/identities/', {
      headers: client,
      json: { identifier: 'h', traits: [{ trait_key: 'age', trait_value: 1 }] },
    });
    expect(response).toMatchObject({ status: 503, body: { error: { code: 'TABLE_UNAVAILABLE' } } });
  });

  test('a deleted environment (tombstoned) stops answering at the next check', async () => {
    await publish(table, sampleDocument());
    const { call, clock } = edge(table);
    expect((await call('GET', '/api/v1/flags/', { headers: client })).status).toBe(200);
    table.items.set(`${headKey(42).pk}\u0000head`, { ...headKey(42), version: Number.MAX_SAFE_INTEGER, deleted: true });
    table.items.set(`${documentKey(42).pk}\u0000document`, { ...documentKey(42), version: Number.MAX_SAFE_INTEGER, deleted: true });
    clock.now += 5000;
    expect((await call('GET', '/api/v1/flags/', { headers: client })).status).toBe(401);
  });
});

describe('the Lambda entry point', () => {
  test('adapts function URL events and validates its configuration', async () => {
    const { createHandler } = await import('../../service/edge/handler');
    await publish(table, sampleDocument());
    expect(() => createHandler({}, table.client)).toThrow(/FLAGSTACK_EDGE_TABLE/);
    expect(() => createHandler({ FLAGSTACK_EDGE_TABLE: TABLE, FLAGSTACK_EDGE_REFRESH_MS: 'soon' }, table.client)).toThrow(
      /FLAGSTACK_EDGE_REFRESH_MS="soon"/,
    );
    const handler = createHandler({ FLAGSTACK_EDGE_TABLE: TABLE, AWS_REGION: 'eu-west-1' }, table.client);
    const event = JSON.parse(readFileSync(join(__dirname, 'function-url-event.json'), 'utf8'));
    event.headers['x-environment-key'] = CLIENT;
    event.body = Buffer.from(JSON.stringify({ identifier: 'ivy', traits: [{ trait_key: 'age', trait_value: 21 }] })).toString('base64');
    event.isBase64Encoded = true;
    const result = (await handler(event, { awsRequestId: 'aws-request-1' })) as { statusCode: number; body: string };
    expect(result).toMatchObject({
      statusCode: 200,
      isBase64Encoded: false,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'aws-request-1', 'x-flagstack-region': 'eu-west-1' },
    });
    expect(JSON.parse(result.body).flags.find((f: any) => f.feature.name === 'banner').feature_state_value).toBe('adult banner');
  });
});
