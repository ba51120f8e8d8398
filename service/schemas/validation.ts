/**
 * The schema validators of every request, shared by the service (Fastify's validator compiler) and
 * the edge, so the same input is accepted or refused with the same message in both. Bodies are
 * validated exactly as sent (a string is not an integer); query strings arrive as text, so they are
 * coerced to their declared types.
 */
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';

export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

/** `allErrors` reports every problem instead of the first (configuration checks; requests stop at the first). */
export function createValidators({ allErrors = false } = {}): Record<'body' | 'text', Ajv> {
  return {
    body: addFormats(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors })),
    text: addFormats(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors })),
  };
}

/** Schema errors as one line: `body/traits/0/trait_value must be number, …` (Fastify's own format). */
export function formatSchemaErrors(errors: readonly Pick<ErrorObject, 'instancePath' | 'message'>[], dataVar: string): string {
  return errors.map((e) => `${dataVar}${e.instancePath || ''} ${e.message}`).join(', ');
}
