/**
 * The schema validators of every request, shared by the service (Fastify's validator compiler) and
 * the edge, so the same input is accepted or refused with the same message in both. Bodies are
 * validated exactly as sent (a string is not an integer); query strings arrive as text, so they are
 * coerced to their declared types.
 *
 * Before its schema, every value a request carries is checked for text PostgreSQL cannot store and
 * JSON cannot carry faithfully: a NUL character, or half of a UTF-16 surrogate pair. Refused here, for
 * every string and property name of every route, such text never reaches a statement, where it would
 * fail the whole batch it was written in.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type RequestPart = 'body' | 'querystring' | 'params' | 'headers';

/** Compiles a schema into a validator whose `errors` explain a refusal. */
export interface SchemaCompiler {
  compile(schema: object): ValidateFunction;
}

/** `allErrors` reports every problem instead of the first (configuration checks; requests stop at the first). */
export function createValidators({ allErrors = false } = {}): Record<'body' | 'text', SchemaCompiler> {
  return {
    body: withSafeText(addFormats(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors, verbose: true }))),
    text: withSafeText(addFormats(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors, verbose: true }))),
  };
}

export const UNSAFE_TEXT_MESSAGE = 'must not contain a NUL character or an unpaired UTF-16 surrogate';

function withSafeText(ajv: Ajv): SchemaCompiler {
  return {
    compile(schema) {
      const validate = ajv.compile(schema);
      const checked = ((data: unknown) => {
        const unsafeAt = holdsUnsafeText(data) ? unsafeTextPath(data, '') : undefined;
        if (unsafeAt !== undefined) {
          checked.errors = [{ instancePath: unsafeAt, schemaPath: '#', keyword: 'safeText', params: {}, message: UNSAFE_TEXT_MESSAGE }];
          return false;
        }
        const valid = validate(data);
        checked.errors = validate.errors;
        return valid;
      }) as ValidateFunction;
      checked.schema = validate.schema;
      return checked;
    },
  };
}

const isUnsafe = (text: string): boolean => text.includes('\u0000') || !text.isWellFormed();

/** Whether any string or property name holds unsafe text: the cheap pass every request makes. */
function holdsUnsafeText(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (isUnsafe(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const key in value) {
        if (isUnsafe(key)) return true;
        pending.push((value as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/**
 * The JSON pointer of the first string or property name holding unsafe text, or undefined. Walked with
 * a stack of its own: a body may nest arrays far deeper than the call stack goes.
 */
function unsafeTextPath(root: unknown, rootPath: string): string | undefined {
  const pending: Array<[unknown, string]> = [[root, rootPath]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === 'string') {
      if (isUnsafe(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], `${path}/${i}`]);
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      // NUL and surrogates are exactly what this replaces.
      // eslint-disable-next-line no-control-regex
      for (const key of keys) if (isUnsafe(key)) return `${path}/${pointerEscape(key.replace(/[\u0000\ud800-\udfff]/g, '\ufffd'))}`;
      for (let i = keys.length - 1; i >= 0; i--)
        pending.push([(value as Record<string, unknown>)[keys[i]], `${path}/${pointerEscape(keys[i])}`]);
    }
  }
  return undefined;
}

const pointerEscape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

type SchemaError = Pick<ErrorObject, 'instancePath' | 'message'> &
  Partial<Pick<ErrorObject, 'keyword' | 'schemaPath' | 'params' | 'parentSchema'>>;

/**
 * Schema errors as one line, each naming the failing value's path: `body/traits/0/trait_value must
 * NOT have more than 2000 characters`. A value that matches none of a union's alternatives gets one
 * message listing what is allowed (`must be one of: "ALL", "ANY", "NONE"`) rather than one per
 * alternative; when one alternative has the value's type, its own complaint is the one given.
 */
export function formatSchemaErrors(errors: readonly SchemaError[], dataVar: string): string {
  return [...new Set(explainSchemaErrors(errors).map((e) => `${dataVar}${e.instancePath || ''} ${e.message}`))].join(', ');
}

/** The errors worth telling, each with its value's path: a union's as one, Ajv's terse ones completed. */
export const explainSchemaErrors = (errors: readonly SchemaError[]): Array<{ instancePath: string; message?: string }> =>
  explain(errors).map((e) =>
    e.keyword === 'required' ? { ...e, instancePath: `${e.instancePath}/${String(e.params?.missingProperty)}`, message: 'must be set' } : e,
  );

function explain(errors: readonly SchemaError[]): SchemaError[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  if (unions.length === 0) return errors.map(withDetail);
  // The outermost union first: its alternatives' errors are everything under its schema path.
  const union = unions.reduce((outer, e) => ((e.schemaPath ?? '').length < (outer.schemaPath ?? '').length ? e : outer));
  const prefix = `${union.schemaPath}/`;
  const inside = errors.filter((e) => e.schemaPath?.startsWith(prefix));
  const outside = errors.filter((e) => e !== union && !inside.includes(e));
  return [...explain(outside), ...explainUnion(union, inside, prefix)];
}

/** One union's failure: the alternative that came closest, or the list of what is allowed. */
function explainUnion(union: SchemaError, inside: readonly SchemaError[], prefix: string): SchemaError[] {
  const byAlternative = new Map<string, SchemaError[]>();
  for (const e of inside) {
    const alternative = e.schemaPath!.slice(prefix.length).split('/')[0];
    byAlternative.set(alternative, [...(byAlternative.get(alternative) ?? []), e]);
  }
  const allowedValues: unknown[] = [];
  const allowedTypes: string[] = [];
  for (const alternative of byAlternative.values()) {
    const [first] = alternative;
    const atUnion = alternative.every((e) => e.instancePath === union.instancePath);
    if (atUnion && alternative.length === 1 && first.keyword === 'const') allowedValues.push(first.params?.allowedValue);
    else if (atUnion && alternative.length === 1 && first.keyword === 'enum')
      allowedValues.push(...(first.params?.allowedValues as unknown[]));
    else if (atUnion && alternative.every((e) => e.keyword === 'type')) allowedTypes.push(String(first.params?.type));
    // Of the value's type but wrong in some other way (too long, a bad property...): the closest match.
    else return explain(alternative);
  }
  const parts = [
    ...(allowedValues.length > 0 ? [`one of: ${allowedValues.map((value) => JSON.stringify(value)).join(', ')}`] : []),
    ...(allowedTypes.length > 0 ? [`of type ${[...new Set(allowedTypes)].join(', ')}`] : []),
  ];
  return [{ instancePath: union.instancePath, message: `must be ${parts.join(' or ') || 'valid'}` }];
}

/** Ajv's messages, with what they leave out: which property is unknown, which values are allowed. */
function withDetail(e: SchemaError): SchemaError {
  if (e.keyword === 'additionalProperties')
    return { ...e, message: `must NOT have the unknown property ${JSON.stringify(e.params?.additionalProperty)}` };
  if (e.keyword === 'enum')
    return { ...e, message: `must be one of: ${(e.params?.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  if (e.keyword === 'const') return { ...e, message: `must be ${JSON.stringify(e.params?.allowedValue)}` };
  // A number with both bounds says them both, whichever it broke (or its type).
  const range = e.parentSchema as { type?: string; minimum?: number; maximum?: number } | undefined;
  if (['minimum', 'maximum', 'type'].includes(e.keyword ?? '') && (range?.type === 'integer' || range?.type === 'number')) {
    if (typeof range.minimum === 'number' && typeof range.maximum === 'number') {
      return { ...e, message: `must be ${range.type === 'integer' ? 'an integer' : 'a number'} from ${range.minimum} to ${range.maximum}` };
    }
  }
  if (e.keyword === 'type' && e.params?.type === 'boolean') return { ...e, message: 'must be true or false' };
  // A pattern says little to a reader; a schema's examples say what it wants.
  const examples = e.parentSchema?.examples as unknown[] | undefined;
  if (e.keyword === 'pattern' && examples)
    return { ...e, message: `must look like ${examples.map((x) => JSON.stringify(x)).join(' or ')}` };
  return e;
}
