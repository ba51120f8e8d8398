/**
 * The edge function's configuration, from its environment variables (set by the CDK stack), validated
 * at cold start: a bad value fails the function's initialisation with a message naming the variable.
 */
import { Type, type Static } from '@sinclair/typebox';
import { SHARED_SETTINGS } from '../shared-settings';
import { loadSettings } from '../settings';

export const EdgeConfigSchema = Type.Object({
  FLAGSTACK_EDGE_TABLE: Type.String({ pattern: '^[A-Za-z0-9_.-]{3,255}$', description: 'The flag table (its replica in this region)' }),
  FLAGSTACK_EDGE_REFRESH_MS: Type.Integer({
    minimum: 100,
    maximum: 3_600_000,
    default: 5000,
    description: 'How long an environment is served from memory before its version is checked in the table',
  }),
  FLAGSTACK_EDGE_TRAIT_TTL_DAYS: Type.Integer({
    minimum: 0,
    maximum: 36_500,
    default: 0,
    description: "Days an identity's traits are kept after its last write; 0 keeps them",
  }),
  ...SHARED_SETTINGS,
  FLAGSTACK_BODY_LIMIT: Type.Integer({
    minimum: 1024,
    maximum: 6 * 1024 * 1024,
    default: 1024 * 1024,
    description: 'Largest accepted request body in bytes',
  }),
});
export type EdgeConfig = Static<typeof EdgeConfigSchema>;

/** Reads and validates the configuration; throws SettingsError naming every bad variable. */
export const loadEdgeConfig = (env: NodeJS.ProcessEnv = process.env): EdgeConfig =>
  loadSettings(EdgeConfigSchema, env, { title: 'edge configuration' });
