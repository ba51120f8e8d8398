/**
 * The edge answers as the service does. One environment, seeded through the admin API of the real
 * service, is published by the service's own publisher into the (mocked) flag table; the same
 * requests then go to the Fastify service over HTTP and to the Lambda handler as function URL events,
 * and must get the same status, content type, headers that matter, and body: byte for byte where the
 * service answers from its pre-serialised responses, as parsed JSON where Fastify's serialiser orders
 * an error's fields its own way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { createHandler, type FunctionUrlHandler } from '../../service/edge/handler';
import { silentLog } from '../../service/log';
import { ADMIN_TOKEN } from '../support/service';
import { SAMPLE_IDENTITIES, seedEnvironment, type SeededEnvironment } from '../support/seed';
import { startTestService, type TestService } from '../support/service';
import { FakeTable } from './fake-table';
import { TABLE } from './support';

let table: FakeTable;
let svc: TestService;
let seeded: SeededEnvironment;
let handler: FunctionUrlHandler;
const REFRESH_MS = 100;
const template = JSON.parse(readFileSync(join(__dirname, 'function-url-event.json'), 'utf8')) as LambdaFunctionURLEvent;

beforeAll(async () => {
  table = new FakeTable();
  svc = await startTestService({ FLAGSTACK_EDGE_TABLE: TABLE, FLAGSTACK_EDGE_REGION: 'us-east-1' });
  seeded = await seedEnvironment(svc);
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/ratio`, { enabled: true, value: 0.75 });
  await svc.service.edgePublisher!.idle();
  // A short refresh interval, so the last test can watch a warm function revalidate.
  handler = createHandler({ FLAGSTACK_EDGE_TABLE: TABLE, FLAGSTACK_EDGE_REFRESH_MS: String(REFRESH_MS) }, table.client, silentLog);
});
afterAll(async () => {
  await svc.stop();
  table.restore();
});

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON body (content type set), or `raw` as is (bytes are sent without a content type). */
  json?: unknown;
  raw?: string | Uint8Array;
}

interface Answer {
  status: number;
  contentType: string | undefined;
  etag: string | undefined;
  updatedAt: string | undefined;
  /** The CORS headers, each a sorted list (the two libraries space their lists differently). */
  cors: Record<string, string[]>;
  text: string;
}

function corsOf(headers: Iterable<[string, string]>): Record<string, string[]> {
  const cors: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith('access-control-'))
      cors[lower] = value
        .split(',')
        .map((item) => item.trim().toLowerCase())
        .sort();
    if (lower === 'vary' && /origin/i.test(value)) cors.vary = ['origin'];
  }
  return cors;
}

async function fromService({ method, path, headers = {}, json, raw }: Probe): Promise<Answer> {
  const all = { ...headers, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) };
  const response = await fetch(svc.url + path, { method, headers: all, body: json !== undefined ? JSON.stringify(json) : raw });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    etag: response.headers.get('etag') ?? undefined,
    updatedAt: response.headers.get('x-flagsmith-document-updated-at') ?? undefined,
    cors: corsOf(response.headers.entries()),
    text: await response.text(),
  };
}

async function fromEdge({ method, path, headers = {}, json, raw }: Probe): Promise<Answer> {
  const [rawPath, rawQueryString = ''] = path.split('?');
  const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (json !== undefined) lowered['content-type'] = 'application/json';
  const event: LambdaFunctionURLEvent = {
    ...template,
    rawPath,
    rawQueryString,
    headers: lowered,
    body: json !== undefined ? JSON.stringify(json) : raw === undefined ? undefined : Buffer.from(raw).toString('utf8'),
    requestContext: { ...template.requestContext, http: { ...template.requestContext.http, method, path: rawPath } },
  };
  const result = (await handler(event, { awsRequestId: 'parity' })) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  return {
    status: result.statusCode,
    contentType: result.headers['content-type'],
    etag: result.headers.etag,
    updatedAt: result.headers['x-flagsmith-document-updated-at'],
    cors: corsOf(Object.entries(result.headers)),
    text: result.body,
  };
}

function expectSame(service: Answer, edge: Answer): void {
  expect({ ...edge, text: undefined }).toEqual({ ...service, text: undefined });
  if (service.status < 300) expect(edge.text).toBe(service.text);
  else expect(edge.text === '' ? undefined : JSON.parse(edge.text)).toEqual(service.text === '' ? undefined : JSON.parse(service.text));
}

const client = () => ({ 'X-Environment-Key': seeded.clientKey });
const server = () => ({ 'X-Environment-Key': seeded.serverKey });
const ofrep = () => ({ 'X-API-Key': seeded.clientKey });

const probes: Array<[string, () => Probe]> = [
  ['flags, client key', () => ({ method: 'GET', path: '/api/v1/flags/', headers: client() })],
  ['flags, server key', () => ({ method: 'GET', path: '/api/v1/flags/', headers: server() })],
  ['flags without the trailing slash', () => ({ method: 'GET', path: '/api/v1/flags', headers: client() })],
  ['one flag', () => ({ method: 'GET', path: '/api/v1/flags/?feature=checkout', headers: client() })],
  [
    'one flag, spaces and repeats in the query',
    () => ({ method: 'GET', path: '/api/v1/flags/?feature=banner&other=a+b', headers: client() }),
  ],
  ['a server-only flag by a client key', () => ({ method: 'GET', path: '/api/v1/flags/?feature=secret_flag', headers: client() })],
  ['an unknown flag', () => ({ method: 'GET', path: '/api/v1/flags/?feature=nope', headers: client() })],
  ['a repeated feature parameter', () => ({ method: 'GET', path: '/api/v1/flags/?feature=a&feature=b', headers: client() })],
  ['an empty feature parameter', () => ({ method: 'GET', path: '/api/v1/flags/?feature=', headers: client() })],
  ['HEAD of the flags', () => ({ method: 'HEAD', path: '/api/v1/flags/', headers: client() })],
  ['the environment document', () => ({ method: 'GET', path: '/api/v1/environment-document/', headers: server() })],
  ['the environment document, client key', () => ({ method: 'GET', path: '/api/v1/environment-document/', headers: client() })],
  ['no key', () => ({ method: 'GET', path: '/api/v1/flags/' })],
  ['an unknown key', () => ({ method: 'GET', path: '/api/v1/flags/', headers: { 'X-Environment-Key': 'not_a_key_at_all' } })],
  ['the admin token as an SDK key', () => ({ method: 'GET', path: '/api/v1/flags/', headers: { 'X-Environment-Key': ADMIN_TOKEN } })],
  ['an unknown route', () => ({ method: 'GET', path: '/api/v1/nothing-here', headers: client() })],
  ['a method no route takes', () => ({ method: 'DELETE', path: '/api/v1/flags/', headers: client() })],
  [
    'a transient identity by GET',
    () => ({ method: 'GET', path: '/api/v1/identities/?identifier=vip-user&transient=true', headers: client() }),
  ],
  [
    'an identity with transient traits',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: client(),
      json: {
        identifier: 'parity-transient',
        transient: true,
        traits: [
          { trait_key: 'age', trait_value: 44 },
          { trait_key: 'email', trait_value: 'x@beta.io' },
        ],
      },
    }),
  ],
  [
    'malformed JSON',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: { ...client(), 'content-type': 'application/json' },
      raw: '{"identifier": ',
    }),
  ],
  [
    'an empty JSON body',
    () => ({ method: 'POST', path: '/api/v1/identities/', headers: { ...client(), 'content-type': 'application/json' }, raw: '' }),
  ],
  [
    'a body without a content type',
    () => ({ method: 'POST', path: '/api/v1/identities/', headers: client(), raw: new TextEncoder().encode('{"identifier":"a"}') }),
  ],
  [
    'a body over the limit',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: client(),
      json: { identifier: 'a', traits: [{ trait_key: 'x', trait_value: 'y'.repeat(1_100_000) }] },
    }),
  ],
  [
    'prototype poisoning',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: { ...client(), 'content-type': 'application/json' },
      raw: '{"identifier":"a","__proto__":{"x":1}}',
    }),
  ],
  [
    'a text/plain body',
    () => ({ method: 'POST', path: '/api/v1/identities/', headers: { ...client(), 'content-type': 'text/plain' }, raw: 'identifier=a' }),
  ],
  ['an identifier that is a number', () => ({ method: 'POST', path: '/api/v1/identities/', headers: client(), json: { identifier: 5 } })],
  [
    'a trait value that is an object',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: client(),
      json: { identifier: 'a', traits: [{ trait_key: 'x', trait_value: { a: 1 } }] },
    }),
  ],
  ['an identity without identifier', () => ({ method: 'GET', path: '/api/v1/identities/', headers: client() })],
  ['a non-boolean transient', () => ({ method: 'GET', path: '/api/v1/identities/?identifier=a&transient=yes', headers: client() })],
  [
    'analytics with a bad count',
    () => ({ method: 'POST', path: '/api/v1/analytics/flags/', headers: client(), json: { banner: 'three' } }),
  ],
  [
    'OFREP: one flag, with context',
    () => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags/banner',
      headers: ofrep(),
      json: { context: { targetingKey: 'p', age: 30 } },
    }),
  ],
  [
    'OFREP: an object flag',
    () => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags/theme',
      headers: ofrep(),
      json: { context: { targetingKey: 'p', email: 'a@beta.io' } },
    }),
  ],
  [
    'OFREP: a split without targeting key',
    () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags/checkout', headers: ofrep(), json: {} }),
  ],
  ['OFREP: an unknown flag', () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags/nope', headers: ofrep(), json: { context: {} } })],
  ['OFREP: bulk, no context', () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags', headers: ofrep(), json: { context: {} } })],
  [
    'OFREP: bulk, server key by Bearer',
    () => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags/',
      headers: { Authorization: `Bearer ${seeded.serverKey}` },
      json: { context: { targetingKey: 'q', plan: 'pro' } },
    }),
  ],
  [
    'OFREP: a targeting key that is a number',
    () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags/banner', headers: ofrep(), json: { context: { targetingKey: 5 } } }),
  ],
  [
    'OFREP: a context that is not an object',
    () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags', headers: ofrep(), json: { context: [] } }),
  ],
  [
    'OFREP: malformed JSON',
    () => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags/banner',
      headers: { ...ofrep(), 'content-type': 'application/json' },
      raw: '{',
    }),
  ],
  ['OFREP: no body', () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags', headers: ofrep() })],
  ['OFREP: no key', () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags', json: {} })],
  [
    'OFREP: an unknown key',
    () => ({ method: 'POST', path: '/ofrep/v1/evaluate/flags/banner', headers: { 'X-API-Key': 'nope' }, json: {} }),
  ],
];

const fromSite = { Origin: 'https://shop.example' };
const preflight = (path: string, method: string, requestHeaders: string): Probe => ({
  method: 'OPTIONS',
  path,
  headers: { ...fromSite, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': requestHeaders },
});
probes.push(
  ['CORS: flags from a web page', () => ({ method: 'GET', path: '/api/v1/flags/', headers: { ...client(), ...fromSite } })],
  [
    'CORS: an identity from a web page',
    () => ({
      method: 'POST',
      path: '/api/v1/identities/',
      headers: { ...client(), ...fromSite },
      json: { identifier: 'cors-1', transient: true },
    }),
  ],
  [
    'CORS: an error from a web page',
    () => ({ method: 'GET', path: '/api/v1/flags/', headers: { ...fromSite, 'X-Environment-Key': 'not_a_key_at_all' } }),
  ],
  [
    'CORS: OFREP from a web page',
    () => ({
      method: 'POST',
      path: '/ofrep/v1/evaluate/flags',
      headers: { ...ofrep(), ...fromSite },
      json: { context: { targetingKey: 'c' } },
    }),
  ],
  [
    'CORS: preflight of the identities endpoint',
    () => preflight('/api/v1/identities/', 'POST', 'content-type,x-environment-key,flagsmith-sdk-user-agent'),
  ],
  [
    'CORS: preflight of the flags endpoint',
    () => preflight('/api/v1/flags/', 'GET', 'x-environment-key,flagsmith-application-name,flagsmith-application-version'),
  ],
  ['CORS: preflight of OFREP', () => preflight('/ofrep/v1/evaluate/flags/banner', 'POST', 'content-type,x-api-key,if-none-match')],
);

test.each(probes)('%s', async (_name, probe) => {
  expectSame(await fromService(probe()), await fromEdge(probe()));
});

test('OFREP bulk ETags agree, and each side honours the other’s If-None-Match', async () => {
  const probe = {
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags',
    headers: ofrep(),
    json: { context: { targetingKey: 'etag-1', age: 20 } },
  };
  const service = await fromService(probe);
  const edge = await fromEdge(probe);
  expect(edge.etag).toBe(service.etag);
  const conditional = { ...probe, headers: { ...probe.headers, 'If-None-Match': service.etag! } };
  expectSame(await fromService(conditional), await fromEdge(conditional));
  expect((await fromEdge(conditional)).status).toBe(304);
});

test('identities with stored traits: the same writes, then the same reads, for every sample identity', async () => {
  for (const { identifier, traits } of SAMPLE_IDENTITIES) {
    const post = {
      method: 'POST',
      path: '/api/v1/identities/',
      headers: client(),
      json: {
        identifier: `parity-${identifier}`,
        traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })),
      },
    };
    expectSame(await fromService(post), await fromEdge(post));
    const get = { method: 'GET', path: `/api/v1/identities/?identifier=parity-${encodeURIComponent(identifier)}`, headers: client() };
    expectSame(await fromService(get), await fromEdge(get));
  }
  const update = {
    method: 'POST',
    path: '/api/v1/identities/',
    headers: client(),
    json: {
      identifier: 'parity-adult-1',
      traits: [
        { trait_key: 'age', trait_value: null },
        { trait_key: 'plan', trait_value: 'enterprise' },
      ],
    },
  };
  expectSame(await fromService(update), await fromEdge(update));
});

test('after an admin change, the edge serves what the service serves once it has revalidated', async () => {
  const probe = { method: 'GET', path: '/api/v1/flags/?feature=banner', headers: client() };
  // The same warm function throughout: it holds the environment from before the change.
  expect(JSON.parse((await fromEdge(probe)).text).feature_state_value).not.toBe('parity banner');
  await svc.admin('PATCH', `/environments/${seeded.clientKey}/feature-states/banner`, { value: 'parity banner' });
  await svc.service.edgePublisher!.idle();
  const service = await fromService(probe);
  expect(JSON.parse(service.text).feature_state_value).toBe('parity banner');
  let edge = await fromEdge(probe);
  for (let waited = 0; edge.text !== service.text && waited < 40 * REFRESH_MS; waited += REFRESH_MS) {
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    edge = await fromEdge(probe);
  }
  expectSame(service, edge);
});
