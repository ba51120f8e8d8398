/**
 * OFREP endpoints: `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags` (bulk,
 * with ETag / If-None-Match). Errors here use OFREP's shapes (`{key?, errorCode, errorDetails}`),
 * not the service's usual error body, because OFREP clients parse them.
 */
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { EnvironmentCache } from '../flags/environment-cache';
import { evaluateOfrep, OfrepContextError } from '../flags/ofrep';
import { OfrepBulk, OfrepFailure, OfrepFlagParams, OfrepRequest, OfrepSuccess } from '../schemas/ofrep';
import { HttpError } from './errors';

const JSON_TYPE = 'application/json; charset=utf-8';

/** The environment key from `X-API-Key` or `Authorization: Bearer`. */
function ofrepKey(cache: EnvironmentCache, request: FastifyRequest) {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const header = request.headers['x-api-key'];
  const key = (typeof header === 'string' && header) || bearer;
  if (!key) throw new HttpError(401, 'GENERAL', 'Missing X-API-Key or Authorization: Bearer header');
  const resolved = cache.resolveKey(key);
  if (!resolved) throw new HttpError(401, 'GENERAL', 'Invalid environment key');
  return resolved;
}

/** Maps any error on an OFREP route to OFREP's error body. */
function ofrepErrorHandler(error: FastifyError, request: FastifyRequest<{ Params: { key?: string } }>, reply: FastifyReply) {
  const key = request.params?.key;
  const body = (errorCode: string, errorDetails: string) => (key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails });
  if (error instanceof OfrepContextError) return reply.code(400).send(body('INVALID_CONTEXT', error.message));
  if (error instanceof HttpError) return reply.code(error.statusCode).send(body(error.statusCode === 404 ? 'FLAG_NOT_FOUND' : 'GENERAL', error.message));
  if (error.validation || error instanceof SyntaxError || error.code?.startsWith('FST_ERR_CTP')) {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    return reply.code(status).send(body(error.validationContext === 'body' && error.validation ? 'INVALID_CONTEXT' : 'PARSE_ERROR', error.message));
  }
  request.log.error({ err: error }, 'OFREP evaluation failed');
  return reply.code(500).send(body('GENERAL', 'Internal server error'));
}

export function ofrepRoutes(app: FastifyInstance, cache: EnvironmentCache): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const responses = (ok: TSchema) => ({ 200: ok, 400: OfrepFailure, 401: OfrepFailure, 404: OfrepFailure }) as Record<string, TSchema>;

  const evaluate = async (request: FastifyRequest, context: Record<string, unknown> | undefined) => {
    const key = ofrepKey(cache, request);
    const env = await cache.get(key.environmentId);
    if (!env) throw new HttpError(401, 'GENERAL', 'Environment not found');
    return evaluateOfrep(env, context ?? {}, key.server ? 'server' : 'client');
  };

  api.post(
    '/ofrep/v1/evaluate/flags/:key',
    {
      errorHandler: ofrepErrorHandler,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate one flag',
        params: OfrepFlagParams,
        security: [{ ofrepApiKey: [] }, { ofrepBearer: [] }],
        body: OfrepRequest,
        response: responses(OfrepSuccess),
      },
    },
    async (request, reply) => {
      const results = await evaluate(request, request.body.context);
      const result = results.find((flag) => flag.key === request.params.key);
      if (!result) throw new HttpError(404, 'FLAG_NOT_FOUND', `Flag '${request.params.key}' not found`);
      reply.type(JSON_TYPE);
      if (result.failed) return reply.code(400).send(result.json);
      return result.json;
    },
  );

  api.post(
    '/ofrep/v1/evaluate/flags',
    {
      errorHandler: ofrepErrorHandler,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate every flag (ETag / If-None-Match supported)',
        security: [{ ofrepApiKey: [] }, { ofrepBearer: [] }],
        body: OfrepRequest,
        response: { ...responses(OfrepBulk), 304: { type: 'null', description: 'Not modified' } },
      },
    },
    async (request, reply) => {
      const results = await evaluate(request, request.body?.context);
      // Same results, same body: hashing the results' versions is as good as hashing the bytes, and cheaper.
      const etag = `"${createHash('sha1').update(results.map((flag) => flag.version).join(',')).digest('base64url')}"`;
      reply.header('ETag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      reply.type(JSON_TYPE);
      return `{"flags":[${results.map((flag) => flag.json).join(',')}]}`;
    },
  );
}
