/**
 * The admin API under /api/v1/admin. Bearer-token authentication; every write is one audited
 * transaction (AdminWriter); handlers only bind the validated request to an operation.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { listAnalytics } from '../admin/analytics/operations';
import { listAuditLog } from '../admin/audit-log/operations';
import { exportDocument, importDocument } from '../admin/documents/operations';
import * as environments from '../admin/environments/operations';
import * as featureStates from '../admin/feature-states/operations';
import * as features from '../admin/features/operations';
import * as identities from '../admin/identities/operations';
import * as projects from '../admin/projects/operations';
import * as segmentOverrides from '../admin/segment-overrides/operations';
import * as segments from '../admin/segments/operations';
import * as serverKeys from '../admin/server-keys/operations';
import * as tokens from '../admin/tokens/operations';
import type { AdminActor } from '../admin/tokens/operations';
import type { AdminWriter, Change } from '../admin/writer';
import * as schemas from '../schemas/admin';
import { EnvironmentDocument } from '../schemas/environment-document';
import type { AnalyticsStore } from '../storage/analytics';
import type { Database } from '../storage/database';
import type { IdentityBounds } from '../storage/traits';
import type { DatabaseHealth } from '../storage/health';
import type { TraitLimits } from '../schemas/sdk';
import { forbidden, unauthorized } from '../errors';
import { ErrorBody } from './errors';

export interface AdminRouteDeps {
  db: Database;
  writer: AdminWriter;
  analytics: AnalyticsStore;
  health: DatabaseHealth;
  traitLimits: TraitLimits;
  /** What one identity may hold. */
  identityBounds: IdentityBounds;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminActor?: AdminActor;
  }
}

const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/**
 * The admin routes; `cors` is what their answers tell browsers (false: nothing, so no web page but
 * those an operator lists can call them).
 */
export function adminRoutes(
  app: FastifyInstance,
  { db, writer, analytics, health, traitLimits, identityBounds }: AdminRouteDeps,
  cors: FastifyCorsOptions | false,
): void {
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request) => {
        if (request.method === 'OPTIONS') return;
        // A database known to be down answers nothing here: fail at once rather than wait out the
        // token lookup's timeout.
        health.assertWritable();
        const header = request.headers.authorization;
        const token = typeof header === 'string' && /^Bearer\s+(\S+)$/i.exec(header)?.[1];
        if (!token) throw unauthorized('Missing "Authorization: Bearer <admin token>" header');
        const actor = await tokens.findAdminToken(db, token);
        if (!actor) throw forbidden('Not an admin token');
        request.adminActor = actor;
      });
      // A preflight for an admin path: answered by @fastify/cors's hook with these routes' rules when
      // there are any; otherwise no CORS headers, and a 404 like any unknown route.
      scope.options('/*', { schema: { hide: true }, config: { cors } }, (_request, reply) => reply.callNotFound());
      const api = scope.withTypeProvider<TypeBoxTypeProvider>();
      const write = <T>(request: FastifyRequest, work: (change: Change) => Promise<T>) =>
        writer.write(`token:${request.adminActor!.name}#${request.adminActor!.tokenId}`, work);
      // Route schemas: the parts validate and type the request; responses are documented in OpenAPI.
      const doc = <Parts extends { params?: TSchema; querystring?: TSchema; body?: TSchema }>(
        summary: string,
        parts: Parts,
        ok?: TSchema,
      ) => ({
        config: { cors },
        schema: {
          tags: ['admin'],
          summary,
          security: [{ adminToken: [] }],
          ...parts,
          response: (ok ? { 200: ok, 201: ok, ...errorResponses } : errorResponses) as Record<string, TSchema>,
        },
      });

      // ---- projects and environments ----
      api.get('/projects', doc('List projects', {}), () => projects.listProjects(db));
      api.post('/projects', doc('Create a project', { body: schemas.ProjectCreate }), async (request, reply) =>
        reply.code(201).send(await write(request, (c) => projects.createProject(c, request.body))),
      );
      api.get('/projects/:id', doc('Get a project', { params: schemas.IdParams }), (request) =>
        projects.getProject(db, request.params.id),
      );
      api.patch('/projects/:id', doc('Update a project', { params: schemas.IdParams, body: schemas.ProjectUpdate }), (request) =>
        write(request, (c) => projects.updateProject(c, request.params.id, request.body)),
      );
      api.delete('/projects/:id', doc('Delete a project and everything in it', { params: schemas.IdParams }), async (request, reply) => {
        await write(request, (c) => projects.deleteProject(c, request.params.id));
        return reply.code(204).send();
      });

      api.get('/projects/:projectId/environments', doc('List environments', { params: schemas.ProjectParams }), (request) =>
        environments.listEnvironments(db, request.params.projectId),
      );
      api.post(
        '/projects/:projectId/environments',
        doc('Create an environment', { params: schemas.ProjectParams, body: schemas.EnvironmentCreate }),
        async (request, reply) =>
          reply.code(201).send(await write(request, (c) => environments.createEnvironment(c, request.params.projectId, request.body))),
      );
      api.get('/environments/:clientKey', doc('Get an environment', { params: schemas.EnvironmentParams }), (request) =>
        environments.getEnvironment(db, request.params.clientKey),
      );
      api.patch(
        '/environments/:clientKey',
        doc('Update an environment', { params: schemas.EnvironmentParams, body: schemas.EnvironmentUpdate }),
        (request) => write(request, (c) => environments.updateEnvironment(c, request.params.clientKey, request.body)),
      );
      api.delete('/environments/:clientKey', doc('Delete an environment', { params: schemas.EnvironmentParams }), async (request, reply) => {
        await write(request, (c) => environments.deleteEnvironment(c, request.params.clientKey));
        return reply.code(204).send();
      });

      api.get('/environments/:clientKey/server-keys', doc('List server keys (prefixes only)', { params: schemas.EnvironmentParams }), (request) =>
        serverKeys.listServerKeys(db, request.params.clientKey),
      );
      api.post(
        '/environments/:clientKey/server-keys',
        doc('Create a server key; the key is shown only in this response', {
          params: schemas.EnvironmentParams,
          body: Type.Optional(schemas.ServerKeyCreate),
        }, schemas.ServerKeyCreated),
        async (request, reply) =>
          reply
            .code(201)
            .send(await write(request, (c) => serverKeys.createServerKey(c, request.params.clientKey, request.body?.name ?? ''))),
      );
      api.delete(
        '/environments/:clientKey/server-keys/:id',
        doc('Revoke a server key', { params: schemas.EnvironmentIdParams }),
        async (request, reply) => {
          await write(request, (c) => serverKeys.deleteServerKey(c, request.params.clientKey, request.params.id));
          return reply.code(204).send();
        },
      );

      // ---- features ----
      api.get('/projects/:projectId/features', doc('List features', { params: schemas.ProjectParams }), (request) =>
        features.listFeatures(db, request.params.projectId),
      );
      api.post(
        '/projects/:projectId/features',
        doc('Create a feature (and its state in every environment)', { params: schemas.ProjectParams, body: schemas.FeatureCreate }),
        async (request, reply) =>
          reply.code(201).send(await write(request, (c) => features.createFeature(c, request.params.projectId, request.body))),
      );
      api.get('/features/:id', doc('Get a feature', { params: schemas.IdParams }), (request) => features.getFeature(db, request.params.id));
      api.patch('/features/:id', doc('Update a feature', { params: schemas.IdParams, body: schemas.FeatureUpdate }), (request) =>
        write(request, (c) => features.updateFeature(c, request.params.id, request.body)),
      );
      api.delete('/features/:id', doc('Delete a feature', { params: schemas.IdParams }), async (request, reply) => {
        await write(request, (c) => features.deleteFeature(c, request.params.id));
        return reply.code(204).send();
      });
      api.post(
        '/features/:id/multivariate-options',
        doc('Add a multivariate option', { params: schemas.IdParams, body: schemas.MultivariateOptionCreate }),
        async (request, reply) => reply.code(201).send(await write(request, (c) => features.createOption(c, request.params.id, request.body))),
      );
      api.patch(
        '/multivariate-options/:id',
        doc('Update a multivariate option', { params: schemas.IdParams, body: schemas.MultivariateOptionUpdate }),
        (request) => write(request, (c) => features.updateOption(c, request.params.id, request.body)),
      );
      api.delete('/multivariate-options/:id', doc('Delete a multivariate option', { params: schemas.IdParams }), async (request, reply) => {
        await write(request, (c) => features.deleteOption(c, request.params.id));
        return reply.code(204).send();
      });

      api.get(
        '/environments/:clientKey/feature-states/:featureName',
        doc("A feature's state in an environment", { params: schemas.EnvironmentFeatureParams }),
        (request) => featureStates.getFeatureState(db, request.params.clientKey, request.params.featureName),
      );
      api.patch(
        '/environments/:clientKey/feature-states/:featureName',
        doc("Change a feature's state in an environment", { params: schemas.EnvironmentFeatureParams, body: schemas.FeatureStateUpdate }),
        (request) =>
          write(request, (c) => featureStates.updateFeatureState(c, request.params.clientKey, request.params.featureName, request.body)),
      );

      // ---- segments and segment overrides ----
      api.get('/projects/:projectId/segments', doc('List segments', { params: schemas.ProjectParams }), (request) =>
        segments.listSegments(db, request.params.projectId),
      );
      api.post(
        '/projects/:projectId/segments',
        doc('Create a segment', { params: schemas.ProjectParams, body: schemas.SegmentCreate }),
        async (request, reply) =>
          reply.code(201).send(await write(request, (c) => segments.createSegment(c, request.params.projectId, request.body))),
      );
      api.get('/segments/:id', doc('Get a segment', { params: schemas.IdParams }), (request) => segments.getSegment(db, request.params.id));
      api.patch('/segments/:id', doc('Update a segment', { params: schemas.IdParams, body: schemas.SegmentUpdate }), (request) =>
        write(request, (c) => segments.updateSegment(c, request.params.id, request.body)),
      );
      api.delete('/segments/:id', doc('Delete a segment', { params: schemas.IdParams }), async (request, reply) => {
        await write(request, (c) => segments.deleteSegment(c, request.params.id));
        return reply.code(204).send();
      });
      api.get('/environments/:clientKey/segment-overrides', doc('List segment overrides', { params: schemas.EnvironmentParams }), (request) =>
        segmentOverrides.listSegmentOverrides(db, request.params.clientKey),
      );
      api.post(
        '/environments/:clientKey/segment-overrides',
        doc('Override a feature for a segment', { params: schemas.EnvironmentParams, body: schemas.SegmentOverrideCreate }),
        async (request, reply) =>
          reply.code(201).send(await write(request, (c) => segmentOverrides.createSegmentOverride(c, request.params.clientKey, request.body))),
      );
      api.patch(
        '/environments/:clientKey/segment-overrides/:id',
        doc('Change a segment override', { params: schemas.EnvironmentIdParams, body: schemas.SegmentOverrideUpdate }),
        (request) =>
          write(request, (c) => segmentOverrides.updateSegmentOverride(c, request.params.clientKey, request.params.id, request.body)),
      );
      api.delete(
        '/environments/:clientKey/segment-overrides/:id',
        doc('Remove a segment override', { params: schemas.EnvironmentIdParams }),
        async (request, reply) => {
          await write(request, (c) => segmentOverrides.deleteSegmentOverride(c, request.params.clientKey, request.params.id));
          return reply.code(204).send();
        },
      );

      // ---- identities, traits, identity overrides ----
      api.get(
        '/environments/:clientKey/identities',
        doc('List identities, newest first', { params: schemas.EnvironmentParams, querystring: schemas.Paging }),
        (request) => identities.listIdentities(db, request.params.clientKey, request.query),
      );
      api.post(
        '/environments/:clientKey/identities',
        doc('Create an identity', { params: schemas.EnvironmentParams, body: schemas.identityCreate(traitLimits) }),
        async (request, reply) =>
          reply.code(201).send(await write(request, (c) => identities.createIdentity(c, request.params.clientKey, request.body, identityBounds))),
      );
      api.get(
        '/environments/:clientKey/identities/:identifier',
        doc('An identity with its traits and overrides', { params: schemas.IdentityParams }),
        (request) => identities.getIdentity(db, request.params.clientKey, request.params.identifier),
      );
      api.delete(
        '/environments/:clientKey/identities/:identifier',
        doc('Delete an identity', { params: schemas.IdentityParams }),
        async (request, reply) => {
          await write(request, (c) => identities.deleteIdentity(c, request.params.clientKey, request.params.identifier));
          return reply.code(204).send();
        },
      );
      api.patch(
        '/environments/:clientKey/identities/:identifier/traits',
        doc('Set traits (null deletes one)', { params: schemas.IdentityParams, body: schemas.traitChanges(traitLimits) }),
        (request) =>
          write(request, (c) => identities.updateTraits(c, request.params.clientKey, request.params.identifier, request.body, identityBounds)),
      );
      api.put(
        '/environments/:clientKey/identities/:identifier/overrides/:featureName',
        doc("Override a feature for one identity", { params: schemas.IdentityFeatureParams, body: schemas.IdentityOverrideSet }),
        (request) =>
          write(request, (c) =>
            identities.setIdentityOverride(c, request.params.clientKey, request.params.identifier, request.params.featureName, request.body),
          ),
      );
      api.delete(
        '/environments/:clientKey/identities/:identifier/overrides/:featureName',
        doc("Remove an identity's override", { params: schemas.IdentityFeatureParams }),
        async (request, reply) => {
          const { clientKey, identifier, featureName } = request.params;
          await write(request, (c) => identities.deleteIdentityOverride(c, clientKey, identifier, featureName));
          return reply.code(204).send();
        },
      );

      // ---- documents, analytics, audit, tokens ----
      api.get(
        '/environments/:clientKey/document',
        doc('Export the environment document', { params: schemas.EnvironmentParams }, EnvironmentDocument),
        (request) => exportDocument(db, request.params.clientKey),
      );
      api.put(
        '/environments/:clientKey/document',
        doc(
          "Replace the environment's whole configuration with a Flagsmith environment document",
          { params: schemas.EnvironmentParams, querystring: schemas.ImportQuery, body: EnvironmentDocument },
          EnvironmentDocument,
        ),
        async (request, reply) => {
          const result = await write(request, (c) =>
            importDocument(c, request.params.clientKey, request.body, request.query.project),
          );
          return reply.code(result.created ? 201 : 200).send(await exportDocument(db, request.params.clientKey));
        },
      );
      api.get(
        '/environments/:clientKey/analytics',
        doc('Flag evaluation counts reported by SDKs, per hour', {
          params: schemas.EnvironmentParams,
          querystring: Type.Object({ hours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 }) }, { additionalProperties: false }),
        }),
        (request) => listAnalytics(db, analytics, request.params.clientKey, request.query.hours),
      );
      api.get(
        '/audit-log',
        doc('Every admin change, newest first', {
          querystring: Type.Composite([
            schemas.Paging,
            Type.Object({ environment: Type.Optional(schemas.ClientKey), project: Type.Optional(Type.Integer({ minimum: 1 })) }),
          ], { additionalProperties: false }),
        }),
        (request) => listAuditLog(db, request.query),
      );
      api.get('/tokens', doc('List admin tokens', {}), () => tokens.listTokens(db));
      api.post('/tokens', doc('Create an admin token; shown only in this response', { body: schemas.TokenCreate }, schemas.TokenCreated), async (request, reply) =>
        reply.code(201).send(await write(request, (c) => tokens.createToken(c, request.body))),
      );
      api.delete('/tokens/:id', doc('Revoke an admin token', { params: schemas.IdParams }), async (request, reply) => {
        await write(request, (c) => tokens.revokeToken(c, request.params.id));
        return reply.code(204).send();
      });
    },
    { prefix: '/api/v1/admin' },
  );
}
