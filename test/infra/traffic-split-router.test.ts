/**
 * The CloudFront Function of a split between two CloudFront stages, run as CloudFront runs it (its
 * module of origin and KeyValueStore helpers stubbed): the share read from the store at each request,
 * the share of viewers sent to the next stage at every step, sticky per environment key and IP, only
 * SDK paths, a missing or failing store keeping everything here, the pinned path.
 */
import { runInNewContext } from 'node:vm';
import { TRAFFIC_SHARES } from '../../lib/constructs/traffic-shift';
import {
  bucketOf,
  CLOUDFRONT_MODULE_IMPORT,
  NEXT_ORIGIN_ID,
  SDK_PATHS,
  SHARE_KEY,
  splitRouterCode,
  FORWARDED_WRITE_HEADER,
} from '../../lib/constructs/traffic-split-router';

type Headers = Record<string, { value: string }>;
interface Request {
  uri: string;
  method: string;
  headers: Headers;
}

/** The router with a store holding `share` (a string, as the Lambda writes it), or failing. */
function router(store: { share?: string; fails?: boolean }) {
  const code = splitRouterCode();
  expect(code.startsWith(CLOUDFRONT_MODULE_IMPORT)).toBe(true);
  // CloudFront's limit on a function's size.
  expect(Buffer.byteLength(code)).toBeLessThan(10 * 1024);
  const selected: string[] = [];
  const reads: string[] = [];
  const context: Record<string, unknown> = {
    cf: {
      kvs: () => ({
        get: async (key: string) => {
          reads.push(key);
          if (store.fails === true) throw new Error('KeyValueStore unavailable');
          if (store.share === undefined || key !== SHARE_KEY) throw new Error(`key ${key} not found`);
          return store.share;
        },
      }),
      selectRequestOriginById: (id: string) => selected.push(id),
    },
  };
  runInNewContext(code.replace(CLOUDFRONT_MODULE_IMPORT, ''), context);
  const handler = context.handler as (event: unknown) => Promise<Request>;
  const run = async (request: Request, ip = '198.51.100.7') => {
    selected.length = 0;
    const result = await handler({ request, viewer: { ip } });
    return { request: result, selected: [...selected] };
  };
  return { run, reads, bucket: context.bucket as (text: string) => number };
}

const sdk = (uri: string, key = 'env-key-1'): Request => ({ uri, method: 'GET', headers: { 'x-environment-key': { value: key } } });

/** How many of `viewers` distinct viewers (key and IP) the router sends to the next stage. */
async function movedCount(share: string, viewers: number): Promise<number> {
  const { run } = router({ share });
  let moved = 0;
  for (let i = 0; i < viewers; i++) {
    const { selected } = await run(sdk('/api/v1/flags/', `key-${i % 37}`), `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (selected.includes(NEXT_ORIGIN_ID)) moved++;
  }
  return moved;
}

describe('traffic split router', () => {
  it.each(TRAFFIC_SHARES)('at share %d sends that share of viewers to the next stage', async (share) => {
    const viewers = 20_000;
    const moved = await movedCount(String(share), viewers);
    if (share === 0) expect(moved).toBe(0);
    else if (share === 100) expect(moved).toBe(viewers);
    // Binomial: within 4 standard deviations, and never 0 at 1%.
    else expect(Math.abs(moved / viewers - share / 100)).toBeLessThan((4 * Math.sqrt(share * (100 - share))) / 100 / Math.sqrt(viewers));
    if (share === 1) expect(moved).toBeGreaterThan(100);
  });

  it('reads the share from the store at every request: a new value applies without a new function', async () => {
    const store: { share?: string } = { share: '0' };
    const { run, reads } = router(store);
    expect((await run(sdk('/api/v1/flags/'))).selected).toEqual([]);
    store.share = '100';
    expect((await run(sdk('/api/v1/flags/'))).selected).toEqual([NEXT_ORIGIN_ID]);
    store.share = '0'; // the alarm's rollback
    expect((await run(sdk('/api/v1/flags/'))).selected).toEqual([]);
    expect(reads).toEqual([SHARE_KEY, SHARE_KEY, SHARE_KEY]);
  });

  it('is sticky: one viewer keeps its stage, and a viewer moved at a step stays moved at the next', async () => {
    const steps = [];
    for (const share of ['1', '10', '50']) {
      const { run } = router({ share });
      const moved = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const first = await run(sdk('/api/v1/identities/', `key-${i}`), '203.0.113.9');
        const again = await run(sdk('/api/v1/flags/', `key-${i}`), '203.0.113.9');
        expect(again.selected).toEqual(first.selected);
        if (first.selected.length > 0) moved.add(i);
      }
      steps.push(moved);
    }
    for (const viewer of steps[0]) expect(steps[1].has(viewer)).toBe(true);
    for (const viewer of steps[1]) expect(steps[2].has(viewer)).toBe(true);
  });

  it('tells viewers apart by environment key (X-Environment-Key, X-API-Key or Authorization) and IP', async () => {
    const { run } = router({ share: '50' });
    const viaHeader = async (name: string) =>
      (await run({ uri: '/ofrep/v1/evaluate/flags', method: 'POST', headers: { [name]: { value: 'ser.abc' } } })).selected;
    // The same key in any of the three headers is the same viewer.
    expect(await viaHeader('x-api-key')).toEqual(await viaHeader('x-environment-key'));
    expect(await viaHeader('authorization')).toEqual(await viaHeader('x-environment-key'));
  });

  it('matches bucketOf, the TypeScript FNV-1a the tests and docs use', () => {
    const { bucket } = router({ share: '10' });
    for (const text of ['', 'a', 'env-key-1 198.51.100.7', 'ser.ÄÖÜ 2001:db8::1', 'x'.repeat(300)])
      expect(bucket(text)).toBe(bucketOf(text));
    // FNV-1a's published value for "a" is 0xe40c292c.
    expect(bucketOf('a')).toBe(0xe40c292c % 100);
  });

  it.each(SDK_PATHS)('moves %s', async (path) => {
    expect((await router({ share: '100' }).run(sdk(`${path}x`))).selected).toEqual([NEXT_ORIGIN_ID]);
  });

  it.each(['/api/v1/admin/projects/', '/api/v1/admin/moves/', '/health', '/ready', '/api/v1/docs/openapi.json', '/'])(
    'keeps %s on the previous stage, whatever the share',
    async (uri) => {
      const { run, reads } = router({ share: '100' });
      expect((await run(sdk(uri))).selected).toEqual([]);
      expect(reads).toEqual([]); // not even a read
    },
  );

  it('keeps everything here while the share is missing, unreadable or not a number', async () => {
    for (const store of [{}, { fails: true }, { share: 'ten' }, { share: '-5' }]) {
      expect((await router(store).run(sdk('/api/v1/flags/'))).selected).toEqual([]);
    }
  });

  it("keeps here, even at share 100, the writes a live move's replica forwards to this stage's service", async () => {
    const { run } = router({ share: '100' });
    const forwarded: Request = {
      uri: '/api/v1/identities/',
      method: 'POST',
      headers: { 'x-environment-key': { value: 'env-key-1' }, [FORWARDED_WRITE_HEADER]: { value: 'https://old.example.com' } },
    };
    expect((await run(forwarded)).selected).toEqual([]);
    expect((await run({ ...forwarded, headers: { 'x-environment-key': { value: 'env-key-1' } } })).selected).toEqual([NEXT_ORIGIN_ID]);
  });

  it('sends /_shift/next/… to the next stage whatever the share, prefix removed', async () => {
    const { run } = router({ share: '0' });
    const { request, selected } = await run(sdk('/_shift/next/api/v1/flags/'));
    expect(request.uri).toBe('/api/v1/flags/');
    expect(selected).toEqual([NEXT_ORIGIN_ID]);
  });
});
