/**
 * The Flagsmith-compatible SDK endpoints. Thin: authenticate the key, take the environment from
 * memory, answer with the functions the edge answers with too (service/answers/).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import type { EnvironmentCache } from '../environments/environment-cache';
import { flagsAnswer, JSON_TYPE } from '../answers/flag-responses';
import { identityFlagsBody } from '../answers/identities';
import { documentUpdatedAtHeader, type PreparedEnvironment } from '../environments/prepared-environment';
import { checkSdkKey, environmentKeyOf, requireEnvironment } from '../answers/sdk-keys';
import { EnvironmentDocument } from '../schemas/environment-document';
import { ErrorBody } from '../errors';
import {
  AnalyticsBody,
  FlagsQuery,
  identityBody,
  IdentityQuery,
  IdentityResponse,
  SdkFlag,
  type IdentityBody,
  type TraitLimits,
} from '../schemas/sdk';
import type { AnalyticsStore } from '../storage/analytics';
import type { DatabaseHealth } from '../storage/health';
import type { TraitStore } from '../storage/traits';

export interface SdkRouteDeps {
  cache: EnvironmentCache;
  traits: TraitStore;
  analytics: AnalyticsStore;
  health: DatabaseHealth;
  /** What a request may say about traits. */
  traitLimits: TraitLimits;
}

// The X-Environment-Key header is documented as the `environmentKey` security scheme and checked by
// checkSdkKey() rather than by a header schema, which would cost every flag read a validation pass.
// Responses are documented for OpenAPI; flag bodies are pre-encoded Buffers, which Fastify sends as they are.
const responses = (ok: TSchema) => ({ 200: ok, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }) as Record<string, TSchema>;

export function sdkRoutes(app: FastifyInstance, { cache, traits, analytics, health, traitLimits }: SdkRouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const IdentityBody = identityBody(traitLimits);

  const keyOf = (request: FastifyRequest, options?: { serverOnly: boolean }) =>
    checkSdkKey(cache.resolveKey(environmentKeyOf(request.headers['x-environment-key'])), options);

  /** GET and POST /api/v1/identities/ differ only in where the identity comes from. */
  const identityAnswer = async (request: FastifyRequest, reply: FastifyReply, body: IdentityBody) => {
    const key = keyOf(request);
    const env = requireEnvironment(await cache.get(key.environmentId));
    reply.type(JSON_TYPE);
    return identityFlagsBody(traits, env, body, key.server ? 'server' : 'client');
  };

  api.get(
    '/api/v1/flags/',
    {
      schema: {
        tags: ['sdk'],
        summary: "The environment's flags (Flagsmith `GET /api/v1/flags/`)",
        security: [{ environmentKey: [] }],
        querystring: FlagsQuery,
        response: responses(Type.Union([Type.Array(SdkFlag), SdkFlag])),
      },
    },
    // Not async: nearly every call finds the environment in memory and answers at once, without the
    // promise an async handler costs on the hottest route.
    (request, reply) => {
      const key = keyOf(request);
      const answer = (env: PreparedEnvironment | undefined) =>
        flagsAnswer(requireEnvironment(env), key.server ? 'server' : 'client', request.query.feature);
      const env = cache.get(key.environmentId);
      reply.type(JSON_TYPE);
      return env instanceof Promise ? env.then(answer) : reply.send(answer(env));
    },
  );

  api.get(
    '/api/v1/identities/',
    {
      schema: {
        tags: ['sdk'],
        summary: "An identity's flags and traits",
        security: [{ environmentKey: [] }],
        querystring: IdentityQuery,
        response: responses(IdentityResponse),
      },
    },
    (request, reply) => identityAnswer(request, reply, { identifier: request.query.identifier, transient: request.query.transient }),
  );

  api.post(
    '/api/v1/identities/',
    {
      schema: {
        tags: ['sdk'],
        summary: "Set an identity's traits and get its flags",
        security: [{ environmentKey: [] }],
        body: IdentityBody,
        response: responses(IdentityResponse),
      },
    },
    (request, reply) => identityAnswer(request, reply, request.body),
  );

  api.get(
    '/api/v1/environment-document/',
    {
      schema: {
        tags: ['sdk'],
        summary: 'The environment document for local evaluation (server keys only)',
        security: [{ environmentKey: [] }],
        response: responses(EnvironmentDocument),
      },
    },
    async (request, reply) => {
      const key = keyOf(request, { serverOnly: true });
      const env = requireEnvironment(await cache.get(key.environmentId));
      reply.type(JSON_TYPE).header('X-Flagsmith-Document-Updated-At', documentUpdatedAtHeader(env));
      // Serialised and encoded once per change; sent as is.
      return env.documentBody;
    },
  );

  api.post(
    '/api/v1/analytics/flags/',
    {
      schema: {
        tags: ['sdk'],
        summary: 'Record flag evaluation counts',
        security: [{ environmentKey: [] }],
        body: AnalyticsBody,
        response: responses(Type.Object({})),
      },
    },
    async (request) => {
      const key = keyOf(request);
      health.assertWritable();
      await analytics.record(key.environmentId, request.body);
      return {};
    },
  );
}
