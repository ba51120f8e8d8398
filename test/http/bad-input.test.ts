/**
 * Table-driven bad input on every route: each gets a 4xx with `{"error": {"code", "message"}}`,
 * never a 5xx, and the stored data is exactly as it was.
 */
import { seedEnvironment, type SeededEnvironment } from '../support/seed';
import { ADMIN_TOKEN, startTestService, type TestService } from '../support/service';
import { storedState } from '../support/stored-state';

let svc: TestService;
let seeded: SeededEnvironment;

beforeAll(async () => {
  svc = await startTestService({ FLAGSTACK_BODY_LIMIT: '65536' });
  seeded = await seedEnvironment(svc);
});
afterAll(() => svc.stop());

type Case = {
  name: string;
  method: string;
  path: string;
  key?: 'client' | 'server' | 'admin' | 'none';
  body?: unknown;
  raw?: string;
  contentType?: string;
  status: number;
};

const E = 'ENV';
const validDocument = () => ({
  id: 1,
  api_key: 'x',
  name: 'n',
  project: {
    id: 1,
    name: 'p',
    organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
    hide_disabled_flags: false,
    segments: [],
  },
  feature_states: [],
});
const cases: Case[] = [
  // SDK routes
  { name: 'identities: malformed JSON', method: 'POST', path: '/api/v1/identities/', key: 'client', raw: '{"identifier": ', status: 400 },
  { name: 'identities: empty body', method: 'POST', path: '/api/v1/identities/', key: 'client', raw: '', status: 400 },
  {
    name: 'identities: identifier not a string',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    body: { identifier: 5 },
    status: 400,
  },
  {
    name: 'identities: traits not a list',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    body: { identifier: 'a', traits: { age: 3 } },
    status: 400,
  },
  {
    name: 'identities: trait value an object',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    body: { identifier: 'a', traits: [{ trait_key: 'x', trait_value: { a: 1 } }] },
    status: 400,
  },
  {
    name: 'identities: empty trait key',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    body: { identifier: 'a', traits: [{ trait_key: '', trait_value: 1 }] },
    status: 400,
  },
  {
    name: 'identities: oversized body',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    body: { identifier: 'a', traits: [{ trait_key: 'x', trait_value: 'y'.repeat(70000) }] },
    status: 413,
  },
  {
    name: 'identities: text/plain body',
    method: 'POST',
    path: '/api/v1/identities/',
    key: 'client',
    raw: 'identifier=a',
    contentType: 'text/plain',
    status: 415,
  },
  { name: 'identities: GET without identifier', method: 'GET', path: '/api/v1/identities/', key: 'client', status: 400 },
  { name: 'identities: no key', method: 'POST', path: '/api/v1/identities/', key: 'none', body: { identifier: 'a' }, status: 401 },
  { name: 'flags: empty feature name', method: 'GET', path: '/api/v1/flags/?feature=', key: 'client', status: 400 },
  { name: 'analytics: negative count', method: 'POST', path: '/api/v1/analytics/flags/', key: 'client', body: { banner: -1 }, status: 400 },
  {
    name: 'analytics: count a string',
    method: 'POST',
    path: '/api/v1/analytics/flags/',
    key: 'client',
    body: { banner: '3' },
    status: 400,
  },
  { name: 'analytics: array body', method: 'POST', path: '/api/v1/analytics/flags/', key: 'client', body: [1, 2], status: 400 },
  { name: 'document: client key', method: 'GET', path: '/api/v1/environment-document/', key: 'client', status: 403 },
  { name: 'unknown route', method: 'GET', path: '/api/v1/nope', key: 'client', status: 404 },
  // admin routes
  { name: 'projects: missing name', method: 'POST', path: '/projects', body: {}, status: 400 },
  { name: 'projects: unknown property', method: 'POST', path: '/projects', body: { name: 'x', colour: 'red' }, status: 400 },
  { name: 'projects: blank name', method: 'POST', path: '/projects', body: { name: '   ' }, status: 400 },
  { name: 'projects: id not a number', method: 'GET', path: '/projects/abc', status: 400 },
  { name: 'projects: id out of range', method: 'GET', path: '/projects/99999999999', status: 400 },
  { name: 'projects: missing', method: 'PATCH', path: '/projects/999999', body: { name: 'x' }, status: 404 },
  { name: 'projects: empty update', method: 'PATCH', path: '/projects/1', body: {}, status: 400 },
  {
    name: 'environments: bad client key chars',
    method: 'POST',
    path: '/projects/PROJECT/environments',
    body: { name: 'e', client_key: 'has space!' },
    status: 400,
  },
  {
    name: 'environments: duplicate client key',
    method: 'POST',
    path: '/projects/PROJECT/environments',
    body: { name: 'e', client_key: E },
    status: 409,
  },
  { name: 'environments: unknown key', method: 'GET', path: '/environments/unknown_key_123', status: 404 },
  { name: 'features: duplicate name', method: 'POST', path: '/projects/PROJECT/features', body: { name: 'banner' }, status: 409 },
  { name: 'features: name with spaces', method: 'POST', path: '/projects/PROJECT/features', body: { name: 'has space' }, status: 400 },
  {
    name: 'features: value an object',
    method: 'POST',
    path: '/projects/PROJECT/features',
    body: { name: 'obj', initial_value: { a: 1 } },
    status: 400,
  },
  { name: 'features: bad type', method: 'POST', path: '/projects/PROJECT/features', body: { name: 'typed', type: 'FANCY' }, status: 400 },
  {
    name: 'features: options over 100%',
    method: 'POST',
    path: '/projects/PROJECT/features',
    body: {
      name: 'mv_over',
      multivariate_options: [
        { value: 'a', default_percentage_allocation: 60 },
        { value: 'b', default_percentage_allocation: 60 },
      ],
    },
    status: 400,
  },
  {
    name: 'feature state: unknown feature',
    method: 'PATCH',
    path: `/environments/${E}/feature-states/nope`,
    body: { enabled: true },
    status: 404,
  },
  {
    name: 'feature state: enabled a string',
    method: 'PATCH',
    path: `/environments/${E}/feature-states/banner`,
    body: { enabled: 'yes' },
    status: 400,
  },
  {
    name: 'feature state: foreign option',
    method: 'PATCH',
    path: `/environments/${E}/feature-states/banner`,
    body: { multivariate: [{ option_id: 1, percentage_allocation: 10 }] },
    status: 400,
  },
  {
    name: 'feature state: allocation over 100',
    method: 'PATCH',
    path: `/environments/${E}/feature-states/checkout`,
    body: { multivariate: [{ option_id: 1, percentage_allocation: 101 }] },
    status: 400,
  },
  {
    name: 'segments: unknown operator',
    method: 'POST',
    path: '/projects/PROJECT/segments',
    body: { name: 's1', rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'LIKE', property_: 'a', value: 'b' }] }] },
    status: 400,
  },
  {
    name: 'segments: unknown rule type',
    method: 'POST',
    path: '/projects/PROJECT/segments',
    body: { name: 's2', rules: [{ type: 'SOME', rules: [], conditions: [] }] },
    status: 400,
  },
  {
    name: 'segments: nesting too deep',
    method: 'POST',
    path: '/projects/PROJECT/segments',
    body: {
      name: 's3',
      rules: [
        {
          type: 'ALL',
          conditions: [],
          rules: [
            {
              type: 'ALL',
              conditions: [],
              rules: [
                {
                  type: 'ALL',
                  conditions: [],
                  rules: [{ type: 'ALL', conditions: [], rules: [{ type: 'ALL', conditions: [], rules: [] }] }],
                },
              ],
            },
          ],
        },
      ],
    },
    status: 400,
  },
  {
    name: 'segments: duplicate name',
    method: 'POST',
    path: '/projects/PROJECT/segments',
    body: { name: 'adults', rules: [] },
    status: 409,
  },
  {
    name: 'segment override: unknown segment',
    method: 'POST',
    path: `/environments/${E}/segment-overrides`,
    body: { feature: 'banner', segment_id: 999999, enabled: true },
    status: 404,
  },
  {
    name: 'segment override: duplicate',
    method: 'POST',
    path: `/environments/${E}/segment-overrides`,
    body: { feature: 'banner', segment_id: 'ADULTS', enabled: true },
    status: 409,
  },
  {
    name: 'segment override: negative priority',
    method: 'POST',
    path: `/environments/${E}/segment-overrides`,
    body: { feature: 'ratio', segment_id: 'ADULTS', enabled: true, priority: -1 },
    status: 400,
  },
  {
    name: 'identity override: unknown feature',
    method: 'PUT',
    path: `/environments/${E}/identities/someone/overrides/nope`,
    body: { enabled: true },
    status: 404,
  },
  { name: 'traits: value an array', method: 'PATCH', path: `/environments/${E}/identities/someone/traits`, body: { a: [1] }, status: 400 },
  { name: 'identity: duplicate', method: 'POST', path: `/environments/${E}/identities`, body: { identifier: 'vip-user' }, status: 409 },
  { name: 'identities: limit too large', method: 'GET', path: `/environments/${E}/identities?limit=5000`, status: 400 },
  { name: 'audit log: cursor not a number', method: 'GET', path: '/audit-log?cursor=abc', status: 400 },
  { name: 'document: not a document', method: 'PUT', path: `/environments/${E}/document`, body: { hello: 'world' }, status: 400 },
  {
    name: 'document: unknown operator inside',
    method: 'PUT',
    path: `/environments/${E}/document`,
    body: {
      ...validDocument(),
      project: {
        ...validDocument().project,
        segments: [
          {
            id: 1,
            name: 's',
            feature_states: [],
            rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'NEAR', property_: 'a', value: '1' }] }],
          },
        ],
      },
    },
    status: 400,
  },
  {
    name: 'document: two features share a name (after other rows were written)',
    method: 'PUT',
    path: `/environments/${E}/document`,
    body: {
      ...validDocument(),
      name: 'renamed',
      feature_states: [
        { feature: { id: 1, name: 'brand_new_feature', type: 'STANDARD' }, enabled: true, django_id: 1, feature_state_value: 'x' },
        { feature: { id: 2, name: 'brand_new_feature', type: 'STANDARD' }, enabled: true, django_id: 2, feature_state_value: 'y' },
      ],
    },
    status: 400,
  },
  {
    name: 'document: same feature id, two names',
    method: 'PUT',
    path: `/environments/${E}/document`,
    body: {
      ...validDocument(),
      feature_states: [
        { feature: { id: 1, name: 'one' }, enabled: true },
        { feature: { id: 1, name: 'two' }, enabled: true },
      ],
    },
    status: 400,
  },
  {
    name: 'document: unknown project for a new environment',
    method: 'PUT',
    path: '/environments/brand_new_env_1/document?project=999999',
    body: validDocument(),
    status: 404,
  },
  { name: 'tokens: missing name', method: 'POST', path: '/tokens', body: {}, status: 400 },
  // one or more cases for every remaining route
  {
    name: 'identities GET: identifier too long',
    method: 'GET',
    path: `/api/v1/identities/?identifier=${'x'.repeat(2001)}`,
    key: 'client',
    status: 400,
  },
  { name: 'flags: unknown key', method: 'GET', path: '/api/v1/flags/', key: 'none', status: 401 },
  { name: 'projects: delete missing', method: 'DELETE', path: '/projects/999999', status: 404 },
  { name: 'environments: list, project missing', method: 'GET', path: '/projects/999999/environments', status: 404 },
  {
    name: 'environments: create, name missing',
    method: 'POST',
    path: '/projects/PROJECT/environments',
    body: { client_key: 'abcdefgh1' },
    status: 400,
  },
  {
    name: 'environments: update, wrong type',
    method: 'PATCH',
    path: `/environments/${E}`,
    body: { allow_client_traits: 'no' },
    status: 400,
  },
  { name: 'environments: delete missing', method: 'DELETE', path: '/environments/unknown_key_123', status: 404 },
  { name: 'server keys: list, environment missing', method: 'GET', path: '/environments/unknown_key_123/server-keys', status: 404 },
  { name: 'server keys: name not a string', method: 'POST', path: `/environments/${E}/server-keys`, body: { name: 5 }, status: 400 },
  { name: 'server keys: delete missing', method: 'DELETE', path: `/environments/${E}/server-keys/999999`, status: 404 },
  { name: 'features: list, project missing', method: 'GET', path: '/projects/999999/features', status: 404 },
  { name: 'features: get missing', method: 'GET', path: '/features/999999', status: 404 },
  { name: 'features: update, unknown property', method: 'PATCH', path: '/features/1', body: { name: 'renamed' }, status: 400 },
  { name: 'features: delete missing', method: 'DELETE', path: '/features/999999', status: 404 },
  { name: 'options: value an array', method: 'POST', path: '/features/1/multivariate-options', body: { value: [1] }, status: 400 },
  {
    name: 'options: pushes allocations over 100%',
    method: 'POST',
    path: '/features/6/multivariate-options',
    body: { value: 'd', default_percentage_allocation: 50 },
    status: 409,
  },
  { name: 'options: update missing', method: 'PATCH', path: '/multivariate-options/999999', body: { value: 'x' }, status: 404 },
  { name: 'options: delete missing', method: 'DELETE', path: '/multivariate-options/999999', status: 404 },
  { name: 'feature state: get unknown feature', method: 'GET', path: `/environments/${E}/feature-states/nope`, status: 404 },
  { name: 'segments: list, project missing', method: 'GET', path: '/projects/999999/segments', status: 404 },
  { name: 'segments: get missing', method: 'GET', path: '/segments/999999', status: 404 },
  { name: 'segments: update, rules not a list', method: 'PATCH', path: '/segments/1', body: { rules: 'ALL' }, status: 400 },
  { name: 'segments: delete missing', method: 'DELETE', path: '/segments/999999', status: 404 },
  {
    name: 'segment overrides: list, environment missing',
    method: 'GET',
    path: '/environments/unknown_key_123/segment-overrides',
    status: 404,
  },
  {
    name: 'segment override: update missing',
    method: 'PATCH',
    path: `/environments/${E}/segment-overrides/999999`,
    body: { enabled: false },
    status: 404,
  },
  { name: 'segment override: delete missing', method: 'DELETE', path: `/environments/${E}/segment-overrides/999999`, status: 404 },
  {
    name: 'identities: create, identifier empty',
    method: 'POST',
    path: `/environments/${E}/identities`,
    body: { identifier: '' },
    status: 400,
  },
  { name: 'identities: get missing', method: 'GET', path: `/environments/${E}/identities/nobody-here`, status: 404 },
  { name: 'identities: delete missing', method: 'DELETE', path: `/environments/${E}/identities/nobody-here`, status: 404 },
  {
    name: 'identity override: enabled missing',
    method: 'PUT',
    path: `/environments/${E}/identities/someone/overrides/banner`,
    body: { value: 1 },
    status: 400,
  },
  {
    name: 'identity override: delete missing',
    method: 'DELETE',
    path: `/environments/${E}/identities/vip-user/overrides/banner`,
    status: 404,
  },
  { name: 'document: export, environment missing', method: 'GET', path: '/environments/unknown_key_123/document', status: 404 },
  { name: 'analytics: hours out of range', method: 'GET', path: `/environments/${E}/analytics?hours=0`, status: 400 },
  { name: 'tokens: delete missing', method: 'DELETE', path: '/tokens/999999', status: 404 },
];

test.each(cases)('$name → $status, nothing changed', async (testCase) => {
  const substitute = (text: string) => text.replace(/ENV/g, seeded.clientKey).replace('PROJECT', String(seeded.projectId));
  const before = await storedState(svc.service.db);
  const headers: Record<string, string> = {};
  const key = testCase.key ?? 'admin';
  if (key === 'client') headers['X-Environment-Key'] = seeded.clientKey;
  if (key === 'server') headers['X-Environment-Key'] = seeded.serverKey;
  if (key === 'admin') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  let raw = testCase.raw;
  if (testCase.body !== undefined) {
    raw = substitute(JSON.stringify(testCase.body)).replace('"ADULTS"', String(seeded.segmentIds.adults));
  }
  if (raw !== undefined) headers['content-type'] = testCase.contentType ?? 'application/json';
  const path = (key === 'admin' ? '/api/v1/admin' : '') + substitute(testCase.path);
  const { status, body } = await svc.call(testCase.method, path, { headers, rawBody: raw });

  expect({ status, body }).toEqual({ status: testCase.status, body: { error: { code: expect.any(String), message: expect.any(String) } } });
  expect(await storedState(svc.service.db)).toEqual(before);
});
