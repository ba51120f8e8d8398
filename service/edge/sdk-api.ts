/**
 * The SDK endpoints at the edge, free of any transport (handler.ts adapts Lambda function URL
 * events). Every answer comes from the functions the service answers with (service/answers/); the
 * request handling around them does what the service's Fastify does, in the same order: route,
 * content type and JSON parsing, schema validation (the same schemas, validators and messages), then
 * the key check and the answer. The parity test holds the two to the same bytes.
 */
import { parse as secureJsonParse } from 'secure-json-parse';
import type { TSchema } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import { errorBody, HttpError, validationFailed } from '../errors';
import { flagsAnswer, JSON_TYPE } from '../answers/flag-responses';
import { identityFlagsBody } from '../answers/identities';
import type { IdentityTraitStore } from '../storage/traits';
import { ofrepBulkAnswer, ofrepErrorBody, ofrepErrorResponse, ofrepFlagAnswer } from '../answers/ofrep';
import { documentUpdatedAtHeader } from '../environments/prepared-environment';
import { checkOfrepKey, checkSdkKey, environmentKeyOf, ofrepKeyOf } from '../answers/sdk-keys';
import { OfrepFlagParams, ofrepRequest, type OfrepRequest } from '../schemas/ofrep';
import { AnalyticsBody, FlagsQuery, identityBody, IdentityQuery, type IdentityBody, type TraitLimits } from '../schemas/sdk';
import { createValidators, formatSchemaErrors, type RequestPart } from '../schemas/validation';
import type { CorsPolicy } from '../cors';
import { corsHeaders, type CorsHeaders } from './cors';
import type { EdgeEnvironments, KeyedEnvironment } from './environments';
import type { Log } from '../log';

export interface EdgeRequest {
  readonly method: string;
  /** The path as sent. */
  readonly path: string;
  /** The query string, without `?`. */
  readonly query: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  /** Names the request in logs and `X-Request-Id` when the client sent none. */
  readonly requestId: string;
}

export interface EdgeResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface EdgeSdkApiDeps {
  readonly environments: Pick<EdgeEnvironments, 'forKey'>;
  readonly traits: IdentityTraitStore;
  /** The largest request body accepted, in bytes. */
  readonly bodyLimit: number;
  /** What a request may say about traits (the service's limits, from the same settings). */
  readonly traitLimits: TraitLimits;
  /** Who may call from a web page (the service's rules, from the same setting). */
  readonly cors: CorsPolicy;
  readonly log: Log;
  /** The region serving, sent as `X-Flagstack-Region` (which region answered: routing and failover at a glance). */
  readonly region?: string;
}

// A Lambda response body is text. The shared answer builders produce bytes, which the service writes to
// sockets as they are: the flag list, a single flag, an OFREP single-flag result and the environment
// document are decoded here once per environment change, not per request; an identity or OFREP bulk
// body, built per request, once each (the WeakMap lets it go with its Buffer).
const decoded = new WeakMap<Buffer, string>();
function textOf(body: string | Buffer): string {
  if (typeof body === 'string') return body;
  let text = decoded.get(body);
  if (text === undefined) decoded.set(body, (text = body.toString('utf8')));
  return text;
}

/** What a route's answer sets: status, body, extra headers. */
interface Answer {
  statusCode?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** The environment answered from, for the stale-copy header. */
  keyed?: KeyedEnvironment;
}

interface Parsed {
  body: unknown;
  query: Record<string, unknown>;
  params: Record<string, string>;
  headers: EdgeRequest['headers'];
}

interface Route {
  /** Whose error shapes apply: the service's, or OFREP's. */
  readonly family: 'sdk' | 'ofrep';
  readonly method: 'GET' | 'POST';
  /** Matches the path, with or without a trailing slash; groups are the path parameters. */
  readonly pattern: RegExp;
  readonly paramNames?: readonly string[];
  readonly schemas: Partial<Record<'body' | 'querystring' | 'params', TSchema>>;
  answer(request: Parsed): Promise<Answer>;
}

/** A request refused before it reaches its route's answer: bad content type, body or schema. */
class RequestRefused extends HttpError {
  constructor(
    statusCode: number,
    code: string,
    message: string,
    /** Set for schema failures: where the failing value is. */
    readonly part?: RequestPart,
  ) {
    super(statusCode, code, message);
  }
}

export class EdgeSdkApi {
  private readonly routes: readonly Route[];
  private readonly validators = new Map<TSchema, ValidateFunction>();
  private readonly corsHeaders: CorsHeaders;

  constructor(private readonly deps: EdgeSdkApiDeps) {
    this.corsHeaders = corsHeaders(deps.cors);
    this.routes = this.defineRoutes();
    const compilers = createValidators();
    for (const route of this.routes) {
      for (const [part, schema] of Object.entries(route.schemas)) {
        if (!this.validators.has(schema)) this.validators.set(schema, (part === 'body' ? compilers.body : compilers.text).compile(schema));
      }
    }
  }

  async handle(request: EdgeRequest): Promise<EdgeResponse> {
    const given = request.headers['x-request-id'];
    const requestId = given !== undefined && /^[\w.-]{1,128}$/.test(given) ? given : request.requestId;
    const cors = this.corsHeaders(request.method, request.headers);
    // A preflight: every path, as the service answers it (@fastify/cors).
    if (request.method === 'OPTIONS') return { statusCode: 204, headers: { ...cors, 'x-request-id': requestId }, body: '' };
    const response = await this.respond(request);
    const headers: Record<string, string> = { ...response.headers, ...cors, 'x-request-id': requestId };
    if (this.deps.region !== undefined) headers['x-flagstack-region'] = this.deps.region;
    return { statusCode: response.statusCode, headers, body: request.method === 'HEAD' ? '' : response.body };
  }

  private async respond(request: EdgeRequest): Promise<EdgeResponse> {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of this.routes) {
      match = candidate.method === method ? candidate.pattern.exec(request.path) : null;
      if (match) {
        route = candidate;
        break;
      }
    }
    if (!route || !match) {
      return json(404, errorBody(new HttpError(404, 'NOT_FOUND', `No route ${request.method} ${request.path}`)));
    }
    const params = Object.fromEntries((route.paramNames ?? []).map((name, i) => [name, decodePathParameter(match[i + 1])]));
    try {
      const parsed: Parsed = {
        body: route.method === 'POST' ? this.parseBody(request) : undefined,
        query: parseQuery(request.query),
        params,
        headers: request.headers,
      };
      // The order Fastify validates in.
      this.validate(route, 'params', parsed.params);
      this.validate(route, 'body', parsed.body);
      this.validate(route, 'querystring', parsed.query);
      const answer = await route.answer(parsed);
      const headers: Record<string, string> = { ...answer.headers };
      if (answer.body !== undefined) headers['content-type'] = JSON_TYPE;
      if (answer.keyed?.stale) headers['x-flagstack-stale'] = 'table-unreachable';
      return { statusCode: answer.statusCode ?? 200, headers, body: answer.body === undefined ? '' : textOf(answer.body) };
    } catch (error) {
      return this.errorResponse(route, params.key, error);
    }
  }

  private errorResponse(route: Route, key: string | undefined, error: unknown): EdgeResponse {
    if (route.family === 'ofrep') {
      if (error instanceof RequestRefused) {
        const code = error.part === 'body' ? 'INVALID_CONTEXT' : 'PARSE_ERROR';
        return json(error.statusCode, ofrepErrorBody(key, code, error.message));
      }
      const known = ofrepErrorResponse(error, key);
      if (known) return json(known.statusCode, known.body);
      this.deps.log.error({ err: error }, 'OFREP evaluation failed');
      return json(500, ofrepErrorBody(key, 'GENERAL', 'Internal server error'));
    }
    if (error instanceof RequestRefused) {
      const refusal = error.part ? validationFailed(error.message) : error;
      return json(refusal.statusCode, errorBody(refusal));
    }
    if (error instanceof HttpError) return json(error.statusCode, errorBody(error));
    this.deps.log.error({ err: error }, 'unhandled error');
    return json(500, errorBody(new HttpError(500, 'INTERNAL', 'Internal server error')));
  }

  /** Fastify's JSON body handling: no body or JSON only; the same refusals, statuses and messages. */
  private parseBody(request: EdgeRequest): unknown {
    const contentType = request.headers['content-type'];
    const body = request.body ?? '';
    if (contentType === undefined) {
      if (body === '') return undefined;
      throw new RequestRefused(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type');
    }
    if (contentType.split(';')[0].trim().toLowerCase() !== 'application/json') {
      throw new RequestRefused(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type');
    }
    if (Buffer.byteLength(body) > this.deps.bodyLimit) throw new RequestRefused(413, 'BODY_TOO_LARGE', 'Request body is too large');
    if (body.length === 0)
      throw new RequestRefused(400, 'INVALID_JSON', "Body cannot be empty when content-type is set to 'application/json'");
    try {
      return secureJsonParse(body, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      throw new RequestRefused(400, 'INVALID_JSON', "Body is not valid JSON but content-type is set to 'application/json'");
    }
  }

  private validate(route: Route, part: 'body' | 'querystring' | 'params', value: unknown): void {
    const schema = route.schemas[part];
    if (!schema) return;
    const validate = this.validators.get(schema)!;
    if (!validate(value)) throw new RequestRefused(400, 'VALIDATION_ERROR', formatSchemaErrors(validate.errors ?? [], part), part);
  }

  /** The environment an SDK key reaches: 401 for a missing or unknown key, 403 for a client key where a server key is needed. */
  private async sdkEnvironment(headers: EdgeRequest['headers'], serverOnly = false): Promise<KeyedEnvironment> {
    const keyed = await this.deps.environments.forKey(environmentKeyOf(headers['x-environment-key']));
    checkSdkKey(keyed && { environmentId: keyed.env.environmentId, server: keyed.server }, { serverOnly });
    return keyed!;
  }

  private async ofrepEnvironment(headers: EdgeRequest['headers']): Promise<KeyedEnvironment> {
    const keyed = await this.deps.environments.forKey(ofrepKeyOf(headers));
    checkOfrepKey(keyed && { environmentId: keyed.env.environmentId, server: keyed.server });
    return keyed!;
  }

  private identity = async (headers: EdgeRequest['headers'], body: IdentityBody): Promise<Answer> => {
    const keyed = await this.sdkEnvironment(headers);
    return { keyed, body: await identityFlagsBody(this.deps.traits, keyed.env, body, audienceOf(keyed)) };
  };

  private defineRoutes(): Route[] {
    const IdentityBody = identityBody(this.deps.traitLimits);
    const OfrepRequest = ofrepRequest(this.deps.traitLimits);
    return [
      {
        family: 'sdk',
        method: 'GET',
        pattern: /^\/api\/v1\/flags\/?$/,
        schemas: { querystring: FlagsQuery },
        answer: async ({ headers, query }) => {
          const keyed = await this.sdkEnvironment(headers);
          return { keyed, body: flagsAnswer(keyed.env, audienceOf(keyed), (query as FlagsQuery).feature) };
        },
      },
      {
        family: 'sdk',
        method: 'GET',
        pattern: /^\/api\/v1\/identities\/?$/,
        schemas: { querystring: IdentityQuery },
        answer: ({ headers, query }) => {
          const { identifier, transient } = query as IdentityQuery;
          return this.identity(headers, { identifier, transient });
        },
      },
      {
        family: 'sdk',
        method: 'POST',
        pattern: /^\/api\/v1\/identities\/?$/,
        schemas: { body: IdentityBody },
        answer: ({ headers, body }) => this.identity(headers, body as IdentityBody),
      },
      {
        family: 'sdk',
        method: 'GET',
        pattern: /^\/api\/v1\/environment-document\/?$/,
        schemas: {},
        answer: async ({ headers }) => {
          const keyed = await this.sdkEnvironment(headers, true);
          return {
            keyed,
            body: keyed.env.documentBody,
            headers: { 'x-flagsmith-document-updated-at': documentUpdatedAtHeader(keyed.env) },
          };
        },
      },
      {
        // The edge keeps no analytics store: the counts go to the function's log (CloudWatch Logs).
        family: 'sdk',
        method: 'POST',
        pattern: /^\/api\/v1\/analytics\/flags\/?$/,
        schemas: { body: AnalyticsBody },
        answer: async ({ headers, body }) => {
          const keyed = await this.sdkEnvironment(headers);
          this.deps.log.info({ environmentId: keyed.env.environmentId, counts: body }, 'sdk analytics');
          return { keyed, body: '{}' };
        },
      },
      {
        family: 'ofrep',
        method: 'POST',
        pattern: /^\/ofrep\/v1\/evaluate\/flags\/?$/,
        schemas: { body: OfrepRequest },
        answer: async ({ headers, body }) => {
          const keyed = await this.ofrepEnvironment(headers);
          const answer = ofrepBulkAnswer(keyed.env, (body as OfrepRequest).context, audienceOf(keyed), headers['if-none-match']);
          return { keyed, statusCode: answer.body === undefined ? 304 : 200, body: answer.body, headers: { etag: answer.etag } };
        },
      },
      {
        family: 'ofrep',
        method: 'POST',
        pattern: /^\/ofrep\/v1\/evaluate\/flags\/([^/]+)\/?$/,
        paramNames: ['key'],
        schemas: { params: OfrepFlagParams, body: OfrepRequest },
        answer: async ({ headers, body, params }) => {
          const keyed = await this.ofrepEnvironment(headers);
          const answer = ofrepFlagAnswer(keyed.env, params.key, (body as OfrepRequest).context, audienceOf(keyed));
          return { keyed, ...answer };
        },
      },
    ];
  }
}

const audienceOf = (keyed: KeyedEnvironment) => (keyed.server ? ('server' as const) : ('client' as const));

const json = (statusCode: number, body: object): EdgeResponse => ({
  statusCode,
  headers: { 'content-type': JSON_TYPE },
  body: JSON.stringify(body),
});

/** Query strings as Fastify reads them: `+` is a space, a repeated name gives an array. */
function parseQuery(query: string): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const existing = parsed[name];
    parsed[name] = existing === undefined ? value : Array.isArray(existing) ? [...(existing as string[]), value] : [existing, value];
  }
  return parsed;
}

function decodePathParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
