/** Environment-key authentication for the SDK endpoints, resolved from memory. */
import type { FastifyRequest } from 'fastify';
import type { EnvironmentCache, ResolvedKey } from '../flags/environment-cache';
import { forbidden, unauthorized } from './errors';

export function sdkKey(cache: EnvironmentCache, request: FastifyRequest, { serverOnly = false } = {}): ResolvedKey {
  const key = request.headers['x-environment-key'];
  if (typeof key !== 'string' || key === '') throw unauthorized('Missing X-Environment-Key header');
  const resolved = cache.resolveKey(key);
  if (!resolved) throw unauthorized('Invalid X-Environment-Key');
  if (serverOnly && !resolved.server) throw forbidden('This endpoint needs a server-side environment key (ser.…)');
  return resolved;
}
