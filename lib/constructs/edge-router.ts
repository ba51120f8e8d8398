/**
 * The CloudFront Function (viewer request, JavaScript runtime 2.0) in front of every edge behaviour:
 *
 * - Routing: from the viewer's location (CloudFront's latitude and longitude headers) it picks the
 *   nearest edge region and the next nearest, and makes them the request's origin group, so each
 *   viewer is served by a nearby region and a GET fails over to the next one. Without a location the
 *   behaviour's own origin group applies (the home region, failing over to the next in edgeRegions).
 * - Pinned paths: `/_regions/<region>/…` reach that region only (per-region checks), prefix removed.
 * - OFREP keys: requests to the function URLs are signed by CloudFront (origin access control), which
 *   takes the Authorization header; a `Bearer` key is passed on as X-API-Key, which OFREP reads
 *   first and treats the same.
 */
import type { RegionLocation } from '../edge-regions';

/** The first line of the code: the runtime's module of origin helpers. */
export const CLOUDFRONT_MODULE_IMPORT = "import cf from 'cloudfront';";

/** The path prefix of the per-region routes. */
export const PINNED_PREFIX = '/_regions/';

/** HTTP statuses from the first region that send a GET, HEAD or OPTIONS on to the second. */
export const FAILOVER_STATUS_CODES = [500, 502, 503, 504];

export interface RoutedOrigin extends RegionLocation {
  /** The origin's id in the distribution. */
  readonly originId: string;
}

export function routerFunctionCode(origins: readonly RoutedOrigin[]): string {
  const table = JSON.stringify(origins.map(({ originId, latitude, longitude }) => ({ id: originId, lat: latitude, lon: longitude })));
  return `${CLOUDFRONT_MODULE_IMPORT}
var ORIGINS = ${table};
var FAILOVER = ${JSON.stringify(FAILOVER_STATUS_CODES)};
var PINNED = /^\\/_regions\\/[a-z0-9-]+(\\/.*)$/;
var BEARER = /^Bearer\\s+(\\S+)$/i;

// Central angle between two points on a sphere (haversine): only its order matters.
function angle(lat1, lon1, lat2, lon2) {
  var r = Math.PI / 180;
  var a = Math.pow(Math.sin(((lat2 - lat1) * r) / 2), 2) + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin(((lon2 - lon1) * r) / 2), 2);
  return Math.asin(Math.min(1, Math.sqrt(a)));
}

function header(request, name) {
  return request.headers[name] ? request.headers[name].value : undefined;
}

function handler(event) {
  var request = event.request;
  var pinned = PINNED.exec(request.uri);
  if (pinned) {
    request.uri = pinned[1];
    return request;
  }
  if (request.uri.indexOf('/ofrep/') === 0 && !header(request, 'x-api-key')) {
    var bearer = BEARER.exec(header(request, 'authorization') || '');
    if (bearer) request.headers['x-api-key'] = { value: bearer[1] };
  }
  var lat = parseFloat(header(request, 'cloudfront-viewer-latitude'));
  var lon = parseFloat(header(request, 'cloudfront-viewer-longitude'));
  if (ORIGINS.length > 1 && isFinite(lat) && isFinite(lon)) {
    var ranked = ORIGINS.map(function (origin) {
      return { id: origin.id, angle: angle(lat, lon, origin.lat, origin.lon) };
    }).sort(function (a, b) {
      return a.angle - b.angle;
    });
    cf.createRequestOriginGroup({
      originIds: [{ originId: ranked[0].id }, { originId: ranked[1].id }],
      failoverCriteria: { statusCodes: FAILOVER },
    });
  }
  return request;
}
`;
}
