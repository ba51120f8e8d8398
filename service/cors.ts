/**
 * Cross-origin rules for web pages. The SDK and OFREP endpoints take a client key that ships inside
 * public web pages, so a browser on a customer's site must be able to call them: any origin may, as
 * with Flagsmith, unless FLAGSTACK_CORS_ORIGINS lists the ones that may. The admin API answers no
 * origin unless FLAGSTACK_ADMIN_CORS_ORIGINS lists some. The service hands these to @fastify/cors and
 * the edge to the `cors` middleware, so both answer a browser alike.
 */

/** A list of origins (`scheme://host[:port]`, comma-separated), or `*`. */
export const ORIGINS_PATTERN = '^\\s*(\\*|https?://[^/\\s,]+/?(\\s*,\\s*https?://[^/\\s,]+/?)*)\\s*$';
/** What the pattern's refusal shows. */
export const ORIGINS_EXAMPLES = ['*', 'https://shop.example', 'https://shop.example,http://localhost:3000'];

/**
 * The setting's origins: `*` for any, else the list, each as a browser sends it in `Origin` (lower-case
 * host, no default port, no trailing slash), so that `https://Shop.example:443/` matches.
 */
export function parseOrigins(setting: string): '*' | string[] {
  const origins = setting.split(',').map((origin) => origin.trim());
  return origins.includes('*') ? '*' : origins.map((origin) => new URL(origin).origin);
}

export interface CorsPolicy {
  readonly origin: '*' | string[];
  readonly methods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  /** How long a browser may reuse a preflight's answer, in seconds (Chromium keeps it at most 2 hours). */
  readonly maxAge: number;
}

/** The SDK and OFREP endpoints: the headers Flagsmith's and OpenFeature's browser SDKs send and read. */
export const sdkCorsPolicy = (origin: '*' | string[]): CorsPolicy => ({
  origin,
  methods: ['GET', 'HEAD', 'POST'],
  allowedHeaders: [
    'Content-Type',
    'X-Environment-Key',
    'Authorization',
    'X-API-Key',
    'If-None-Match',
    'X-Request-Id',
    // Sent by Flagsmith's JavaScript SDK.
    'Flagsmith-Application-Name',
    'Flagsmith-Application-Version',
    'Flagsmith-SDK-User-Agent',
  ],
  exposedHeaders: ['ETag', 'X-Flagsmith-Document-Updated-At', 'X-Request-Id', 'X-Flagstack-Stale'],
  maxAge: 7200,
});

/** The admin API, for origins an operator lists. */
export const adminCorsPolicy = (origin: '*' | string[]): CorsPolicy => ({
  origin,
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
  allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
  exposedHeaders: ['X-Request-Id'],
  maxAge: 7200,
});
