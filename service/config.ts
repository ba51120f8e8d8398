/**
 * Service configuration from environment variables, validated once at start (service/settings.ts). A
 * bad value stops the process with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ORIGINS_EXAMPLES, ORIGINS_PATTERN } from './cors';
import { loadSettings, SettingsError } from './settings';
import { SHARED_SETTINGS } from './shared-settings';

/** Every setting, its type, range and default. The README's configuration table mirrors this. */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'TCP port to listen on' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Interface to bind' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset selects embedded PGlite' })),
  FLAGSTACK_DATA_DIR: Type.String({
    minLength: 1,
    default: '.flagstack',
    description: 'Directory of the embedded PGlite database (used when DATABASE_URL is unset)',
  }),
  FLAGSTACK_ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 16, description: 'Bootstrap admin bearer token (stored hashed); at least 16 characters' }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'Log level' },
  ),
  FLAGSTACK_DB_POOL_MAX: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 10,
    description: 'Maximum PostgreSQL connections per instance',
  }),
  FLAGSTACK_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    maximum: 64 * 1024 * 1024,
    default: 1024 * 1024,
    description: 'Largest accepted request body in bytes (environment documents included)',
  }),
  FLAGSTACK_TRAIT_BATCH_MS: Type.Integer({
    minimum: 0,
    maximum: 1000,
    default: 1,
    description: 'How long trait writes wait to be batched with others before one statement writes them all',
  }),
  FLAGSTACK_DB_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 3000,
    description: 'Longest wait for a database connection or query before the request fails (503)',
  }),
  FLAGSTACK_CACHE_CHECK_MS: Type.Integer({
    minimum: 100,
    maximum: 3_600_000,
    default: 2000,
    description: 'How often each instance checks environment versions, in case a change notification was missed',
  }),
  WEB_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 1,
    description: 'Worker processes sharing the port (node:cluster); more than 1 needs DATABASE_URL',
  }),
  FLAGSTACK_SHUTDOWN_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 600_000,
    default: 0,
    description: 'On SIGTERM, how long to keep serving with readiness failed before closing the listener (lets load balancers deregister)',
  }),
  FLAGSTACK_EDGE_TABLE: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_.-]{3,255}$',
      description: "The edge stage's DynamoDB flag table: when set, every environment is published to it after each change",
    }),
  ),
  FLAGSTACK_EDGE_REGION: Type.Optional(
    Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$', description: "The flag table's home region, which every publisher writes to" }),
  ),
  FLAGSTACK_EDGE_CHECK_MS: Type.Integer({
    minimum: 1000,
    maximum: 3_600_000,
    default: 30_000,
    description: "How often environment versions are compared with the flag table's, to publish what a failed publish missed",
  }),
  FLAGSTACK_ADMIN_CORS_ORIGINS: Type.Optional(
    Type.String({
      pattern: ORIGINS_PATTERN,
      examples: ORIGINS_EXAMPLES,
      description: 'Web origins whose pages may call the admin API (comma-separated); unset sends no CORS headers on admin routes',
    }),
  ),
  FLAGSTACK_HEADERS_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 10_000,
    description: "How long a client may take to send a request's headers before the connection is closed",
  }),
  FLAGSTACK_REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 30_000,
    description: 'How long a client may take to send a whole request, headers and body, before it gets 408 and the connection is closed',
  }),
  FLAGSTACK_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 3_600_000,
    default: 65_000,
    description:
      "How long an idle keep-alive connection stays open; must exceed the load balancer's idle timeout (60 s on the stacks' ALBs)",
  }),
  ...SHARED_SETTINGS,
  FLAGSTACK_SHUTDOWN_GRACE_MS: Type.Integer({
    minimum: 0,
    maximum: 600_000,
    default: 25_000,
    description: 'On SIGTERM, how long in-flight requests may take before the process exits anyway',
  }),
});
export type Config = Static<typeof ConfigSchema>;

/** Reads and validates the configuration; throws SettingsError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = loadSettings(ConfigSchema, env, { title: 'configuration', secrets: ['FLAGSTACK_ADMIN_TOKEN', 'DATABASE_URL'] });
  const problems: string[] = [];
  if ((config.FLAGSTACK_EDGE_TABLE === undefined) !== (config.FLAGSTACK_EDGE_REGION === undefined)) {
    problems.push('FLAGSTACK_EDGE_REGION: FLAGSTACK_EDGE_TABLE and FLAGSTACK_EDGE_REGION go together');
  }
  if (config.FLAGSTACK_HEADERS_TIMEOUT_MS > config.FLAGSTACK_REQUEST_TIMEOUT_MS) {
    problems.push('FLAGSTACK_HEADERS_TIMEOUT_MS: must not exceed FLAGSTACK_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  if (problems.length > 0) throw new SettingsError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
