/**
 * The CloudFront Function that routes viewers, run as CloudFront runs it (its own module of origin
 * helpers stubbed): the nearest region and the next as the origin group, the behaviour's own group
 * without a location, pinned paths, OFREP bearer keys.
 */
import { runInNewContext } from 'node:vm';
import { REGION_LOCATIONS } from '../../lib/edge-regions';
import { CLOUDFRONT_MODULE_IMPORT, routerFunctionCode } from '../../lib/constructs/edge-router';

type Headers = Record<string, { value: string }>;
interface Request {
  uri: string;
  method: string;
  headers: Headers;
}

function router(regions: string[]) {
  const code = routerFunctionCode(regions.map((region) => ({ originId: `edge-${region}`, ...REGION_LOCATIONS[region] })));
  expect(code.startsWith(CLOUDFRONT_MODULE_IMPORT)).toBe(true);
  // CloudFront's limit on a function's size.
  expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
  const groups: unknown[] = [];
  const context = { cf: { createRequestOriginGroup: (group: unknown) => groups.push(group) }, result: undefined as unknown };
  const run = (request: Request) => {
    groups.length = 0;
    runInNewContext(`${code.replace(CLOUDFRONT_MODULE_IMPORT, '')}\nresult = handler(${JSON.stringify({ request })});`, context);
    return { request: context.result as Request, groups: [...groups] };
  };
  return run;
}

const at = (latitude: number, longitude: number): Headers => ({
  'cloudfront-viewer-latitude': { value: latitude.toFixed(5) },
  'cloudfront-viewer-longitude': { value: longitude.toFixed(5) },
});
const request = (uri: string, headers: Headers = {}): Request => ({ uri, method: 'GET', headers });
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-1'];
const group = (first: string, second: string) => ({
  originIds: [{ originId: `edge-${first}` }, { originId: `edge-${second}` }],
  failoverCriteria: { statusCodes: [500, 502, 503, 504] },
});

test.each([
  ['Paris', 48.86, 2.35, 'eu-west-1', 'us-east-1'],
  ['Chicago', 41.88, -87.63, 'us-east-1', 'eu-west-1'],
  ['Tokyo', 35.68, 139.69, 'ap-southeast-1', 'eu-west-1'],
  ['Sydney', -33.87, 151.21, 'ap-southeast-1', 'us-east-1'],
  ['São Paulo', -23.55, -46.63, 'us-east-1', 'eu-west-1'],
  ['Mumbai', 19.08, 72.88, 'ap-southeast-1', 'eu-west-1'],
])('a viewer in %s gets the nearest region, failing over to the next', (_city, latitude, longitude, first, second) => {
  const { groups } = router(REGIONS)(request('/api/v1/flags/', at(latitude, longitude)));
  expect(groups).toEqual([group(first, second)]);
});

test("without a location the behaviour's own origin group serves", () => {
  expect(router(REGIONS)(request('/api/v1/flags/')).groups).toEqual([]);
  expect(router(REGIONS)(request('/api/v1/flags/', { 'cloudfront-viewer-latitude': { value: 'x' } })).groups).toEqual([]);
});

test('with a single region there is nothing to choose', () => {
  expect(router(['us-east-1'])(request('/api/v1/flags/', at(48.86, 2.35))).groups).toEqual([]);
});

test('a pinned path reaches its region with the prefix removed, and chooses nothing', () => {
  const { request: routed, groups } = router(REGIONS)(request('/_regions/ap-southeast-1/api/v1/flags/', at(48.86, 2.35)));
  expect(routed.uri).toBe('/api/v1/flags/');
  expect(groups).toEqual([]);
});

test('an OFREP Bearer key is passed on as X-API-Key, unless X-API-Key is given', () => {
  const run = router(REGIONS);
  expect(run(request('/ofrep/v1/evaluate/flags', { authorization: { value: 'Bearer ser.abc' } })).request.headers['x-api-key']).toEqual({
    value: 'ser.abc',
  });
  expect(
    run(request('/ofrep/v1/evaluate/flags', { authorization: { value: 'Bearer ser.abc' }, 'x-api-key': { value: 'client_key' } })).request
      .headers['x-api-key'],
  ).toEqual({
    value: 'client_key',
  });
  expect(run(request('/ofrep/v1/evaluate/flags', { authorization: { value: 'Basic abc' } })).request.headers['x-api-key']).toBeUndefined();
  expect(run(request('/api/v1/flags/', { authorization: { value: 'Bearer abc' } })).request.headers['x-api-key']).toBeUndefined();
});
