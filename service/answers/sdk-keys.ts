/**
 * The checks every SDK request makes of its key, with the same errors on the service and at the edge
 * (how a key is looked up is in service/secrets.ts).
 */
import { forbidden, HttpError, notFound, unauthorized } from '../errors';
import type { ResolvedKey } from '../secrets';

/** The `X-Environment-Key` header's value; 401 when it is missing. */
export function environmentKeyOf(header: unknown): string {
  if (typeof header !== 'string' || header === '') throw unauthorized('Missing X-Environment-Key header');
  return header;
}

/** 401 for a key that reaches no environment, 403 for a client key where a server key is needed. */
export function checkSdkKey(resolved: ResolvedKey | undefined, { serverOnly = false } = {}): ResolvedKey {
  if (!resolved) throw unauthorized('Invalid X-Environment-Key');
  if (serverOnly && !resolved.server) throw forbidden('This endpoint needs a server-side environment key (ser.…)');
  return resolved;
}

/** OFREP's environment key: `X-API-Key`, else `Authorization: Bearer`; 401 when neither is given. */
export function ofrepKeyOf(headers: { 'x-api-key'?: unknown; authorization?: unknown }): string {
  const authorization = typeof headers.authorization === 'string' ? headers.authorization : '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  const header = headers['x-api-key'];
  const key = (typeof header === 'string' && header) || bearer;
  if (!key) throw new HttpError(401, 'GENERAL', 'Missing X-API-Key or Authorization: Bearer header');
  return key;
}

/** OFREP's 401 for a key that reaches no environment. */
export function checkOfrepKey(resolved: ResolvedKey | undefined): ResolvedKey {
  if (!resolved) throw new HttpError(401, 'GENERAL', 'Invalid environment key');
  return resolved;
}

/** The environment a key resolved to; 404 when it went away in between (deleted a moment ago). */
export function requireEnvironment<T>(env: T | undefined): T {
  if (env === undefined) throw notFound('Environment not found');
  return env;
}

/** The same for OFREP, whose clients expect 401 with a GENERAL error. */
export function requireOfrepEnvironment<T>(env: T | undefined): T {
  if (env === undefined) throw new HttpError(401, 'GENERAL', 'Environment not found');
  return env;
}
