/**
 * The HTTP application: Fastify with TypeBox schemas that validate every request, type the
 * handlers and generate the OpenAPI document.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors, { type FastifyCorsOptions } from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { CorsPolicy } from '../cors';
import { createValidators, formatSchemaErrors } from '../schemas/validation';
import { adminPlugin, type AdminRouteDeps } from '../admin/plugin';
import type { MoveRoleWatch } from '../storage/moves';
import { installErrorHandlers } from './errors';
import { installMoveRoles } from './move-roles';
import type { ServiceMetrics } from './metrics';
import type { DatabaseHealth } from '../storage/health';
import { ofrepRoutes } from './ofrep-routes';
import { sdkRoutes, type SdkRouteDeps } from './sdk-routes';

/** Shared with the process: set when shutdown begins, so readiness fails at once. */
export interface Lifecycle {
  shuttingDown: boolean;
}

export type AppDeps = SdkRouteDeps &
  AdminRouteDeps & { metrics: ServiceMetrics; health: DatabaseHealth; lifecycle: Lifecycle; moveRoles: MoveRoleWatch };

export interface AppOptions {
  /** The process's pino logger, or false for none (tests). */
  logger: FastifyBaseLogger | false;
  bodyLimit: number;
  /** Who may call the SDK and OFREP endpoints from a web page. */
  sdkCors: CorsPolicy;
  /** Who may call the admin API from a web page; none when undefined. */
  adminCors: CorsPolicy | undefined;
  /** How long a client may take to send a request's headers, and the whole request; how long an idle connection stays open. */
  timeouts: { headersMs: number; requestMs: number; keepAliveMs: number };
}

export async function buildApp(deps: AppDeps, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit,
    // A client must send its headers, and its whole request, in bounded time (a slow or stalled one
    // would otherwise hold a socket for minutes); 408 and the connection closes.
    requestTimeout: options.timeouts.requestMs,
    // Node checks those deadlines every connectionsCheckingInterval (30 s unless told).
    http: { headersTimeout: options.timeouts.headersMs, connectionsCheckingInterval: 1000 },
    // Above the load balancer's idle timeout, so that it never reuses a connection this side has closed (a 502).
    keepAliveTimeout: options.timeouts.keepAliveMs,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : crypto.randomUUID();
    },
    // Flagsmith's SDKs call `/api/v1/flags/` with the slash; accept both spellings.
    routerOptions: { ignoreTrailingSlash: true },
    // The edge formats schema errors with the same function, so both say the same.
    schemaErrorFormatter: (errors, dataVar) => new Error(formatSchemaErrors(errors, dataVar)),
  });

  // The validators the edge uses too: bodies exactly as sent; query strings, path parameters and
  // headers, which arrive as text, coerced to their declared types.
  const validators = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.text).compile(schema));

  // JSON only: a text/plain body is refused with 415 instead of failing validation as a string.
  app.removeContentTypeParser('text/plain');
  installErrorHandlers(app, deps.health);
  installMoveRoles(app, deps.moveRoles);
  // Callback-style hooks on the hot path: an async hook costs a promise per request.
  // One hook for everything a response needs: each hook costs every request several microseconds.
  app.addHook('onSend', (request, reply, payload, done) => {
    deps.metrics.observeResponse(request, reply);
    reply.header('X-Request-Id', request.id);
    // While shutting down, keep-alive connections close after their response, so the server can drain.
    if (deps.lifecycle.shuttingDown) reply.header('Connection', 'close');
    // Flags keep coming from memory while the database is away; say so.
    if (!deps.health.up && !request.url.startsWith('/api/v1/admin')) reply.header('X-Flagstack-Stale', 'database-unreachable');
    done(null, payload);
  });

  // Preflights are answered in the hook, before any route: every OPTIONS gets the SDK endpoints' rules
  // but the admin API's, whose routes carry their own (see admin/plugin.ts).
  await app.register(cors, { ...fastifyCorsOptions(options.sdkCors), strictPreflight: false });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'flagstack',
        version: '1',
        description: 'Flagsmith-compatible SDK API and the flagstack admin API',
      },
      components: {
        securitySchemes: {
          environmentKey: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Environment-Key',
            description: "An environment's client key or a server key (ser.…)",
          },
          ofrepApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An environment key (OFREP)' },
          ofrepBearer: { type: 'http', scheme: 'bearer', description: 'An environment key (OFREP)' },
          adminToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });

  deps.metrics.install(app);
  // Operations routes are for probes and scrapers, not web pages: no CORS headers (a page on any site
  // must not read an internal service's metrics through its visitor's browser).
  const operations = { schema: { hide: true }, config: { cors: false } };
  app.get('/health', operations, (_request, reply) => reply.send({ status: 'ok' }));
  // Ready while the flags can be served: from memory even when the database is away (the body says so).
  app.get('/ready', operations, (_request, reply) =>
    deps.lifecycle.shuttingDown
      ? reply.code(503).send({ status: 'shutting_down' })
      : reply.send({ status: deps.health.up ? 'ready' : 'degraded', ...deps.health.report() }),
  );
  app.get('/api/v1/docs/openapi.json', operations, (_request, reply) => reply.send(app.swagger()));
  sdkRoutes(app, deps);
  ofrepRoutes(app, deps.cache, deps.traitLimits);
  await app.register(adminPlugin, {
    ...deps,
    prefix: '/api/v1/admin',
    cors: options.adminCors ? fastifyCorsOptions(options.adminCors) : false,
  });
  return app;
}

/** A CORS policy in @fastify/cors's terms. */
const fastifyCorsOptions = (policy: CorsPolicy): FastifyCorsOptions => ({
  origin: policy.origin === '*' ? '*' : [...policy.origin],
  // Joined once here: the plugin would join an array on every response.
  methods: policy.methods.join(', '),
  allowedHeaders: policy.allowedHeaders.join(', '),
  exposedHeaders: policy.exposedHeaders.join(', '),
  maxAge: policy.maxAge,
});
