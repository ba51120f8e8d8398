/**
 * Every error leaves the service as `{"error": {"code", "message"}}` with a 4xx or 5xx status.
 * Handlers throw HttpError; everything else is mapped here, so no route formats its own errors.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { errorBody, HttpError, validationFailed } from '../errors';
import { isBusy, isConnectionFailure, isMovedAway } from '../storage/failures';
import { sendMoved } from './move-roles';

// Postgres error classes that mean "the request conflicts with stored data", not "the server broke".
const PG_CONSTRAINT_ERRORS: Record<string, [number, string]> = {
  '23505': [409, 'CONFLICT'], // unique_violation
  '23503': [409, 'CONFLICT'], // foreign_key_violation
  '23514': [400, 'BAD_REQUEST'], // check_violation
  '22P02': [400, 'BAD_REQUEST'], // invalid_text_representation
  '22003': [400, 'BAD_REQUEST'], // numeric_value_out_of_range
};

// Fastify's own errors that are the client's fault.
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'BODY_TOO_LARGE'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'INVALID_JSON'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'BAD_REQUEST'],
};

export function installErrorHandlers(app: FastifyInstance, health: { markDown(): void }): void {
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No route ${request.method} ${request.url.split('?')[0]}` } }),
  );
  app.setErrorHandler((error: FastifyError & { constraint?: string; detail?: string; hint?: string }, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.statusCode).send(errorBody(error));
    // A write that reached the database of a source that has moved (one that waited out the cut-over, say).
    if (isMovedAway(error)) return sendMoved(reply, error.hint ?? 'another service');
    if (error.validation) return reply.code(400).send(errorBody(validationFailed(error.message)));
    const fastifyMapped = error.code && FASTIFY_CLIENT_ERRORS[error.code];
    if (fastifyMapped) return reply.code(fastifyMapped[0]).send({ error: { code: fastifyMapped[1], message: error.message } });
    if (error instanceof SyntaxError) {
      return reply.code(400).send({ error: { code: 'INVALID_JSON', message: `Body is not valid JSON: ${error.message}` } });
    }
    const pgMapped = error.code && PG_CONSTRAINT_ERRORS[error.code];
    if (pgMapped) {
      // The database's own words name tables and ids: for the admin API only, whose callers hold a token.
      const message = request.url.startsWith('/api/v1/admin') ? (error.detail ?? error.message) : 'The request conflicts with stored data';
      return reply.code(pgMapped[0]).send({ error: { code: pgMapped[1], message } });
    }
    if (isConnectionFailure(error)) {
      health.markDown();
      request.log.warn({ err: error }, 'database unreachable');
      return reply.code(503).send({ error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable; try again shortly' } });
    }
    if (isBusy(error)) {
      request.log.warn({ err: error }, 'database busy');
      return reply.code(503).send({ error: { code: 'DATABASE_BUSY', message: 'The database is busy; try again shortly' } });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: { code: error.code ?? 'BAD_REQUEST', message: error.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Internal server error' } });
  });
}
