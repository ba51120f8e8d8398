/**
 * The CloudFront Function (viewer request, JavaScript runtime 2.0) of a split between two CloudFront
 * stages (traffic-split.ts), on every behaviour of the previous stage's distribution:
 *
 * - SDK requests (flag lists, identities, the environment document, analytics, OFREP) go to the next
 *   stage's distribution, an origin of this one, for `share` percent of viewers; `share` is read from
 *   the function's KeyValueStore at each request, so stepping it or rolling it back needs no change to
 *   the function. A missing or unreadable share counts as 0: every request stays here.
 * - The choice is sticky: a viewer's bucket (0 to 99) is a hash (FNV-1a) of its environment key and its
 *   IP address, and the viewer goes to the next stage while its bucket is below the share. One SDK
 *   client keeps to one stage at a given share, and a viewer moved at 1% stays moved at 10% and 50%.
 * - Writes that the next stage forwards here (a live move's replica, service/move/live.ts) stay here.
 * - The admin API, health checks and anything else stay on this stage: the next stage may not serve
 *   them (the edge serves only the SDK endpoints; fargate stays its control plane).
 * - `/_shift/next/…` reaches the next stage whatever the share, prefix removed: a way to check it
 *   through this distribution.
 */

/** The first line of the code: the runtime's module of origin and KeyValueStore helpers. */
export const CLOUDFRONT_MODULE_IMPORT = "import cf from 'cloudfront';";

/** The key of the share in the KeyValueStore (service/shift/handler.ts writes it). */
export const SHARE_KEY = 'share';

/** The id of the next stage's origin in the previous stage's distribution. */
export const NEXT_ORIGIN_ID = 'shift-next';

/**
 * The header a live move's replica sets on the writes it forwards to the source's service
 * (service/http/move-roles.ts): those stay on this stage, whatever the share.
 */
export const FORWARDED_WRITE_HEADER = 'x-flagstack-forwarded-to';

/** The path prefix that reaches the next stage whatever the share. */
export const NEXT_PREFIX = '/_shift/next';

/** The SDK paths a split moves: what every stage behind CloudFront serves (service/http/sdk-routes.ts, ofrep-routes.ts). */
export const SDK_PATHS = ['/api/v1/flags/', '/api/v1/identities/', '/api/v1/environment-document/', '/api/v1/analytics/flags/', '/ofrep/'];

/**
 * A viewer's bucket, 0 to 99: FNV-1a (32 bits) of `text`, modulo 100. The router's own algorithm, in
 * TypeScript for the tests (the router carries it as ES5, which CloudFront's runtime runs).
 */
export function bucketOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

export function splitRouterCode(): string {
  const sdk = SDK_PATHS.map((path) => path.replace(/\//g, '\\/')).join('|');
  return `${CLOUDFRONT_MODULE_IMPORT}
var kvs = cf.kvs();
var NEXT = ${JSON.stringify(NEXT_ORIGIN_ID)};
var SDK = /^(${sdk})/;
var PINNED = /^\\/_shift\\/next(\\/.*)$/;

function header(request, name) {
  return request.headers[name] ? request.headers[name].value : '';
}

// FNV-1a, 32 bits, modulo 100: the viewer's bucket. The multiplication by the FNV prime
// (2^24 + 2^8 + 2^7 + 2^4 + 2^1 + 1) is written as shifts, exact in 32 bits.
function bucket(text) {
  var hash = 0x811c9dc5;
  for (var i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = (hash + (hash << 1) + (hash << 4) + (hash << 7) + (hash << 8) + (hash << 24)) >>> 0;
  }
  return hash % 100;
}

async function handler(event) {
  var request = event.request;
  var pinned = PINNED.exec(request.uri);
  if (pinned) {
    request.uri = pinned[1];
    cf.selectRequestOriginById(NEXT);
    return request;
  }
  // A write the next stage forwarded here while it is a live move's replica: it is for this stage.
  if (!SDK.test(request.uri) || header(request, ${JSON.stringify(FORWARDED_WRITE_HEADER)})) return request;
  var share = 0;
  try {
    share = parseInt(await kvs.get(${JSON.stringify(SHARE_KEY)}), 10);
  } catch (e) {
    share = 0;
  }
  if (!(share > 0)) return request;
  var key = header(request, 'x-environment-key') || header(request, 'x-api-key') || header(request, 'authorization');
  if (share >= 100 || bucket(key + ' ' + event.viewer.ip) < share) cf.selectRequestOriginById(NEXT);
  return request;
}
`;
}
