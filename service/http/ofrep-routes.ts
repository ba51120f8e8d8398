/**
 * OFREP endpoints: `POST /ofrep/v1/evaluate/flags/{key}` and `POST /ofrep/v1/evaluate/flags` (bulk,
 * with ETag / If-None-Match). Errors here use OFREP's shapes (`{key?, errorCode, errorDetails}`),
 * not the service's usual error body, because OFREP clients parse them.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { EnvironmentCache } from '../environments/environment-cache';
import { JSON_TYPE, type FlagAudience } from '../answers/flag-responses';
import type { PreparedEnvironment } from '../environments/prepared-environment';
import { ofrepBulkAnswer, ofrepErrorBody, ofrepErrorResponse, ofrepFlagAnswer } from '../answers/ofrep';
import { checkOfrepKey, ofrepKeyOf, requireOfrepEnvironment } from '../answers/sdk-keys';
import { OfrepBulk, OfrepFailure, OfrepFlagParams, ofrepRequest, OfrepSuccess } from '../schemas/ofrep';
import type { TraitLimits } from '../schemas/sdk';

/** Maps any error on an OFREP route to OFREP's error body. */
function ofrepErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const key = (request.params as { key?: string } | undefined)?.key;
  const known = ofrepErrorResponse(error, key);
  if (known) return reply.code(known.statusCode).send(known.body);
  if (error.validation || error instanceof SyntaxError || error.code?.startsWith('FST_ERR_CTP')) {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
    return reply
      .code(status)
      .send(ofrepErrorBody(key, error.validationContext === 'body' && error.validation ? 'INVALID_CONTEXT' : 'PARSE_ERROR', error.message));
  }
  request.log.error({ err: error }, 'OFREP evaluation failed');
  return reply.code(500).send(ofrepErrorBody(key, 'GENERAL', 'Internal server error'));
}

/** The error handler Fastify calls (it expects no value back). */
const answerOfrepError = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void =>
  void ofrepErrorHandler(error, request, reply);

export function ofrepRoutes(app: FastifyInstance, cache: EnvironmentCache, traitLimits: TraitLimits): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const OfrepRequest = ofrepRequest(traitLimits);
  const responses = (ok: TSchema) => ({ 200: ok, 400: OfrepFailure, 401: OfrepFailure, 404: OfrepFailure }) as Record<string, TSchema>;

  /**
   * Runs `respond` with the request's environment: at once when it is in memory (nearly always, and
   * without the promise an async handler costs per request), else once it has loaded.
   */
  const withEnvironment = (request: FastifyRequest, respond: (env: PreparedEnvironment, audience: FlagAudience) => FastifyReply) => {
    const key = checkOfrepKey(cache.resolveKey(ofrepKeyOf(request.headers)));
    const audience = key.server ? 'server' : 'client';
    const env = cache.get(key.environmentId);
    return env instanceof Promise
      ? env.then((loaded) => respond(requireOfrepEnvironment(loaded), audience))
      : respond(requireOfrepEnvironment(env), audience);
  };

  api.post(
    '/ofrep/v1/evaluate/flags/:key',
    {
      errorHandler: answerOfrepError,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate one flag',
        params: OfrepFlagParams,
        security: [{ ofrepApiKey: [] }, { ofrepBearer: [] }],
        body: OfrepRequest,
        response: responses(OfrepSuccess),
      },
    },
    (request, reply) =>
      withEnvironment(request, (env, audience) => {
        const answer = ofrepFlagAnswer(env, request.params.key, request.body.context, audience);
        return reply.type(JSON_TYPE).code(answer.statusCode).send(answer.body);
      }),
  );

  api.post(
    '/ofrep/v1/evaluate/flags',
    {
      errorHandler: answerOfrepError,
      schema: {
        tags: ['ofrep'],
        summary: 'OFREP: evaluate every flag (ETag / If-None-Match supported)',
        security: [{ ofrepApiKey: [] }, { ofrepBearer: [] }],
        body: OfrepRequest,
        response: { ...responses(OfrepBulk), 304: { type: 'null', description: 'Not modified' } },
      },
    },
    (request, reply) =>
      withEnvironment(request, (env, audience) => {
        const answer = ofrepBulkAnswer(env, request.body?.context, audience, request.headers['if-none-match']);
        reply.header('ETag', answer.etag);
        return answer.body === undefined ? reply.code(304).send() : reply.type(JSON_TYPE).send(answer.body);
      }),
  );
}
