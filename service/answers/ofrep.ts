/**
 * OpenFeature Remote Evaluation Protocol (OFREP) results from Flagsmith evaluations.
 *
 * The context's `targetingKey` is the identity and its other primitive values are traits, used for
 * this evaluation only (OFREP is stateless: nothing is stored or read). A flag without a value is a
 * boolean flag whose value is its enabled state; a flag with a value serves it (a string holding a JSON
 * object or array serves the parsed object); a disabled valued flag serves its value with reason DISABLED.
 */
import { createHash } from 'node:crypto';
import { evaluateIdentityFlags, type FlagResult } from '../engine';
import { HttpError } from '../errors';
import type { TraitValue } from '../schemas/environment-document';
import { isVisible, joinedBytes, type FlagAudience } from './flag-responses';
import type { PreparedEnvironment } from '../environments/prepared-environment';

type OfrepContext = Record<string, unknown>;

interface OfrepSuccess {
  key: string;
  value: string | number | boolean | object;
  reason: 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED';
  variant: string;
  metadata: { featureId: number; flagsmithReason: string };
}

interface OfrepFailure {
  key: string;
  errorCode: 'FLAG_NOT_FOUND' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'PARSE_ERROR' | 'GENERAL';
  errorDetails: string;
}

export class OfrepContextError extends Error {}

/** One evaluated flag, with its JSON: an engine result is shared by many requests, and so is its JSON. */
interface OfrepResult {
  readonly key: string;
  readonly failed: boolean;
  /** The result's JSON, encoded: a single-flag body as it is, a bulk body joined from several. */
  readonly bytes: Buffer;
  /**
   * 48 bits of the JSON's SHA-1 as two integers, computed once per result: a bulk response's ETag
   * combines these rather than hashing its bytes, and is the same on every instance and at the edge.
   */
  readonly digest: readonly [number, number];
}

function digestOf(bytes: Buffer): readonly [number, number] {
  const sha1 = createHash('sha1').update(bytes).digest();
  return [sha1.readUInt32BE(0), sha1.readUInt16BE(4)];
}

// The engine's results are built once per environment and reused, so their OFREP JSON can be too.
/** What a flag's OFREP result depends on besides the engine's result. */
type ResultKind = 'withContext' | 'withoutContext' | 'targetingKeyMissing';
const resultsByKind: Record<ResultKind, WeakMap<FlagResult, OfrepResult>> = {
  withContext: new WeakMap(),
  withoutContext: new WeakMap(),
  targetingKeyMissing: new WeakMap(),
};

function cachedResult(flag: FlagResult, kind: ResultKind): OfrepResult {
  const cache = resultsByKind[kind];
  let result = cache.get(flag);
  if (!result) {
    const failed = kind === 'targetingKeyMissing';
    const body: OfrepSuccess | OfrepFailure = failed
      ? {
          key: flag.featureName,
          errorCode: 'TARGETING_KEY_MISSING',
          errorDetails: `Flag '${flag.featureName}' splits identities by a hash and needs context.targetingKey`,
        }
      : toOfrep(flag, kind === 'withContext');
    const bytes = Buffer.from(JSON.stringify(body));
    result = { key: flag.featureName, failed, bytes, digest: digestOf(bytes) };
    cache.set(flag, result);
  }
  return result;
}

/** Evaluates every flag the audience may see, in document order. */
function evaluateOfrep(env: PreparedEnvironment, context: OfrepContext, audience: FlagAudience): OfrepResult[] {
  // One pass over the context (every OFREP request has one): the targeting key, and primitive values as traits.
  let targetingKey: unknown;
  let hasContext = false;
  const traits: Record<string, TraitValue> = {};
  for (const key in context) {
    const value = context[key];
    if (key === 'targetingKey') {
      if (typeof value !== 'string' || value === '') throw new OfrepContextError('context.targetingKey must be a non-empty string');
      targetingKey = value;
      hasContext = true;
    } else if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      traits[key] = value;
      hasContext = true;
    }
  }
  // Without a targeting key, traits still select segments, but no flag whose value hangs on a hash is served.
  const flags = hasContext
    ? evaluateIdentityFlags(env.compiled, (targetingKey as string | undefined) ?? '', traits)
    : env.compiled.environmentFlags;
  const served: ResultKind = hasContext ? 'withContext' : 'withoutContext';
  const hashed = targetingKey === undefined ? env.compiled.hashedFeatures : undefined;
  const results: OfrepResult[] = [];
  for (const flag of flags) {
    if (isVisible(env, flag, audience)) results.push(cachedResult(flag, hashed?.has(flag.featureName) ? 'targetingKeyMissing' : served));
  }
  return results;
}

function toOfrep(flag: FlagResult, hasContext: boolean): OfrepSuccess {
  const metadata = { featureId: flag.featureId, flagsmithReason: flag.reason };
  const reason = flag.reason.startsWith('SPLIT')
    ? 'SPLIT'
    : flag.reason.startsWith('TARGETING_MATCH')
      ? 'TARGETING_MATCH'
      : hasContext
        ? 'DEFAULT'
        : 'STATIC';
  if (flag.value === null) {
    return { key: flag.featureName, value: flag.enabled, reason, variant: flag.enabled ? 'on' : 'off', metadata };
  }
  const value = typeof flag.value === 'string' ? (parseObject(flag.value) ?? flag.value) : flag.value;
  return {
    key: flag.featureName,
    value,
    reason: flag.enabled ? reason : 'DISABLED',
    variant: typeof value === 'object' ? 'object' : String(value),
    metadata,
  };
}

/** A string that holds a JSON object or array, parsed; anything else undefined. */
function parseObject(text: string): object | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `POST /ofrep/v1/evaluate/flags/{key}`: 200 with the result, 400 with the flag's own error, 404 when the audience cannot see it. */
export function ofrepFlagAnswer(
  env: PreparedEnvironment,
  key: string,
  context: OfrepContext | undefined,
  audience: FlagAudience,
): { statusCode: 200 | 400; body: Buffer } {
  const result = evaluateOfrep(env, context ?? {}, audience).find((flag) => flag.key === key);
  if (!result) throw new HttpError(404, 'FLAG_NOT_FOUND', `Flag '${key}' not found`);
  return { statusCode: result.failed ? 400 : 200, body: result.bytes };
}

/**
 * `POST /ofrep/v1/evaluate/flags`: every flag. The ETag names the results; when the client's
 * If-None-Match holds it, there is no body (304).
 */
export function ofrepBulkAnswer(
  env: PreparedEnvironment,
  context: OfrepContext | undefined,
  audience: FlagAudience,
  ifNoneMatch: string | undefined,
): { etag: string; body: Buffer | undefined } {
  const results = evaluateOfrep(env, context ?? {}, audience);
  const etag = bulkEtag(results);
  if (ifNoneMatch === etag) return { etag, body: undefined };
  return {
    etag,
    body: joinedBytes(
      '{"flags":[',
      results.map((flag) => flag.bytes),
      ']}',
    ),
  };
}

/**
 * Same results, same body, same tag: the results' digests folded in order into 64 bits (FNV-1a on
 * two lanes). No per-request hashing of bytes and no allocation but the tag itself.
 */
function bulkEtag(results: readonly OfrepResult[]): string {
  let high = 0x811c9dc5 ^ results.length;
  let low = 0x050c5d1f;
  for (const { digest } of results) {
    high = Math.imul(high ^ digest[0], 0x01000193);
    low = Math.imul(low ^ digest[1] ^ (high >>> 16), 0x01000193);
  }
  return `"${(high >>> 0).toString(36)}.${(low >>> 0).toString(36)}"`;
}

/** OFREP's error body: the flag's key on single-flag requests, an error code, details. */
export const ofrepErrorBody = (key: string | undefined, errorCode: string, errorDetails: string) =>
  key === undefined ? { errorCode, errorDetails } : { key, errorCode, errorDetails };

/** OFREP's status and body for an error raised while answering; undefined for an unexpected one. */
export function ofrepErrorResponse(error: unknown, key: string | undefined): { statusCode: number; body: object } | undefined {
  if (error instanceof OfrepContextError) return { statusCode: 400, body: ofrepErrorBody(key, 'INVALID_CONTEXT', error.message) };
  if (error instanceof HttpError) {
    return {
      statusCode: error.statusCode,
      body: ofrepErrorBody(key, error.statusCode === 404 ? 'FLAG_NOT_FOUND' : 'GENERAL', error.message),
    };
  }
  return undefined;
}
