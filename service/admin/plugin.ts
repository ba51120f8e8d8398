/**
 * The admin API under /api/v1/admin: this plugin holds what the resources share, and registers one
 * plugin per resource (service/admin/<resource>/routes.ts, beside its operations and schemas).
 *
 * Shared: the bearer-token check (after the database health gate), the admin routes' CORS rules and
 * their preflight route, the route-doc helper, and the write path: every change is one audited
 * transaction through AdminWriter, answered 201 for a create, 204 for a delete and 200 otherwise.
 */
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors';
import { ErrorBody } from '../errors';
import type { TraitLimits } from '../schemas/sdk';
import type { AnalyticsStore } from '../storage/analytics';
import type { Database } from '../storage/database';
import type { DatabaseHealth } from '../storage/health';
import type { IdentityBounds } from '../storage/traits';
import { analyticsRoutes } from './analytics/routes';
import { auditLogRoutes } from './audit-log/routes';
import { documentRoutes } from './documents/routes';
import { environmentRoutes } from './environments/routes';
import { featureStateRoutes } from './feature-states/routes';
import { featureRoutes } from './features/routes';
import { identityRoutes } from './identities/routes';
import type { MoveControl } from './moves/operations';
import { moveRoutes } from './moves/routes';
import { projectRoutes } from './projects/routes';
import { segmentOverrideRoutes } from './segment-overrides/routes';
import { segmentRoutes } from './segments/routes';
import { serverKeyRoutes } from './server-keys/routes';
import { findAdminToken, type AdminActor } from './tokens/operations';
import { tokenRoutes } from './tokens/routes';
import type { AdminWriter, Change } from './writer';

export interface AdminRouteDeps {
  db: Database;
  writer: AdminWriter;
  analytics: AnalyticsStore;
  health: DatabaseHealth;
  traitLimits: TraitLimits;
  /** What one identity may hold. */
  identityBounds: IdentityBounds;
  /** The live move this instance may run (service/move/live.ts). */
  moves: MoveControl;
}

export interface AdminPluginOptions extends AdminRouteDeps {
  /** What the admin routes' answers tell browsers (false: nothing, so no web page but those an operator lists can call them). */
  cors: FastifyCorsOptions | false;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminActor?: AdminActor;
  }
}

/** The request parts a route's schema validates and types. */
interface RequestParts {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
}

const errorResponses = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/**
 * Route options: the CORS rules, and the schema whose parts validate and type the request; the
 * answers (`ok`, when given, and the errors) are documented in OpenAPI.
 */
const routeDoc =
  (cors: FastifyCorsOptions | false) =>
  <Parts extends RequestParts>(summary: string, parts: Parts, ok?: TSchema) => ({
    config: { cors },
    schema: {
      tags: ['admin'],
      summary,
      security: [{ adminToken: [] }],
      ...parts,
      response: (ok ? { 200: ok, 201: ok, ...errorResponses } : errorResponses) as Record<string, TSchema>,
    },
  });

type Work<T> = (change: Change) => Promise<T>;

/** What every resource plugin is given: the database to read, and the shared route parts. */
export interface AdminRoutes {
  readonly db: Database;
  readonly doc: ReturnType<typeof routeDoc>;
  /** A change, in one audited transaction in the name of the request's token; what `work` returns answers with 200. */
  readonly write: <T>(request: FastifyRequest, work: Work<T>) => Promise<T>;
  /** A create: the change, then 201 with what it made. */
  readonly create: (request: FastifyRequest, reply: FastifyReply, work: Work<unknown>) => Promise<FastifyReply>;
  /** A delete: the change, then 204 with no body. */
  readonly remove: (request: FastifyRequest, reply: FastifyReply, work: Work<unknown>) => Promise<FastifyReply>;
}

export const adminPlugin: FastifyPluginAsyncTypebox<AdminPluginOptions> = async (scope, options) => {
  const { db, writer, analytics, health, traitLimits, identityBounds, moves, cors } = options;
  scope.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    // A database known to be down answers nothing here: fail at once rather than wait out the
    // token lookup's timeout.
    health.assertWritable();
    const header = request.headers.authorization;
    const token = typeof header === 'string' && /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw unauthorized('Missing "Authorization: Bearer <admin token>" header');
    const actor = await findAdminToken(db, token);
    if (!actor) throw forbidden('Not an admin token');
    request.adminActor = actor;
  });
  // A preflight for an admin path: answered by @fastify/cors's hook with these routes' rules when
  // there are any; otherwise no CORS headers, and a 404 like any unknown route.
  scope.options('/*', { schema: { hide: true }, config: { cors } }, (_request, reply) => reply.callNotFound());

  const write: AdminRoutes['write'] = (request, work) =>
    writer.write(`token:${request.adminActor!.name}#${request.adminActor!.tokenId}`, work);
  const routes: AdminRoutes = {
    db,
    doc: routeDoc(cors),
    write,
    create: async (request, reply, work) => reply.code(201).send(await write(request, work)),
    remove: async (request, reply, work) => {
      await write(request, work);
      return reply.code(204).send();
    },
  };
  // In this order in the OpenAPI document.
  await scope.register(projectRoutes, routes);
  await scope.register(environmentRoutes, routes);
  await scope.register(serverKeyRoutes, routes);
  await scope.register(featureRoutes, routes);
  await scope.register(featureStateRoutes, routes);
  await scope.register(segmentRoutes, routes);
  await scope.register(segmentOverrideRoutes, routes);
  await scope.register(identityRoutes, { ...routes, traitLimits, identityBounds });
  await scope.register(documentRoutes, routes);
  await scope.register(analyticsRoutes, { ...routes, analytics });
  await scope.register(auditLogRoutes, routes);
  await scope.register(tokenRoutes, routes);
  await scope.register(moveRoutes, { ...routes, moves });
};
