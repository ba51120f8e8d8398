/**
 * The Flagsmith-compatible SDK endpoints. Thin: authenticate the key, take the environment from
 * memory, answer from its pre-serialised responses or the engine.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { evaluateEnvironmentFlags } from '../engine';
import type { CachedEnvironment, EnvironmentCache } from '../flags/environment-cache';
import { flagJson, visibleFlags } from '../flags/flag-responses';
import { identityFlagsJson } from '../flags/identities';
import { EnvironmentDocument } from '../schemas/environment-document';
import { AnalyticsBody, FlagsQuery, IdentityBody, IdentityQuery, IdentityResponse, SdkFlag } from '../schemas/sdk';
import type { AnalyticsStore } from '../storage/analytics';
import type { DatabaseHealth } from '../storage/health';
import type { TraitStore } from '../storage/traits';
import { ErrorBody, notFound } from './errors';
import { sdkKey } from './sdk-auth';

export interface SdkRouteDeps {
  cache: EnvironmentCache;
  traits: TraitStore;
  analytics: AnalyticsStore;
  health: DatabaseHealth;
}

const JSON_TYPE = 'application/json; charset=utf-8';
// The X-Environment-Key header is documented as the `environmentKey` security scheme and checked by
// sdkKey() rather than by a header schema, which would cost every flag read a validation pass.
// Responses are documented for OpenAPI; flag bodies are pre-serialised strings, which Fastify sends as is.
const responses = (ok: TSchema) =>
  ({ 200: ok, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }) as Record<string, TSchema>;

export function sdkRoutes(app: FastifyInstance, { cache, traits, analytics, health }: SdkRouteDeps): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  const environmentOf = async (environmentId: number): Promise<CachedEnvironment> => {
    const env = await cache.get(environmentId);
    if (!env) throw notFound('Environment not found');
    return env;
  };

  /** GET and POST /api/v1/identities/ differ only in where the identity comes from. */
  const identityAnswer = async (request: FastifyRequest, reply: FastifyReply, body: IdentityBody) => {
    const key = sdkKey(cache, request);
    const env = await environmentOf(key.environmentId);
    reply.type(JSON_TYPE);
    return identityFlagsJson({ traits, health }, env, body, key.server ? 'server' : 'client');
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
    async (request, reply) => {
      const key = sdkKey(cache, request);
      const env = await environmentOf(key.environmentId);
      const audience = key.server ? 'server' : 'client';
      reply.type(JSON_TYPE);
      if (request.query.feature === undefined) return env.environmentFlagsBody[audience];
      const flag = visibleFlags(env, evaluateEnvironmentFlags(env.compiled), audience).find(
        (f) => f.featureName === request.query.feature,
      );
      if (!flag) throw notFound(`Feature '${request.query.feature}' not found`);
      return flagJson(env, flag, null);
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
      const key = sdkKey(cache, request, { serverOnly: true });
      const env = await environmentOf(key.environmentId);
      reply
        .type(JSON_TYPE)
        .header('X-Flagsmith-Document-Updated-At', (env.updatedAt.getTime() / 1000).toFixed(6));
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
      const key = sdkKey(cache, request);
      health.assertWritable();
      await analytics.record(key.environmentId, request.body);
      return {};
    },
  );
}
