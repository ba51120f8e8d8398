/**
 * Errors that carry their HTTP meaning, thrown anywhere in the service (admin operations, storage
 * health, handlers) and turned into `{"error": {"code", "message"}}` by the HTTP layer.
 */
import { Type } from '@sinclair/typebox';
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code = 'BAD_REQUEST') => new HttpError(400, code, message);
export const unauthorized = (message: string) => new HttpError(401, 'UNAUTHORIZED', message);
export const forbidden = (message: string) => new HttpError(403, 'FORBIDDEN', message);
export const notFound = (message: string) => new HttpError(404, 'NOT_FOUND', message);
export const conflict = (message: string) => new HttpError(409, 'CONFLICT', message);

/** The 400 of a request that fails its schema; `details` names each failing value's path (`formatSchemaErrors`). */
export const validationFailed = (details: string) => new HttpError(400, 'VALIDATION_ERROR', details);

/** The error body, for route response schemas and the OpenAPI document. */
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'ErrorBody', description: 'Every error response' },
);

/** The body every error response carries. */
export const errorBody = (error: HttpError) => ({ error: { code: error.code, message: error.message } });
