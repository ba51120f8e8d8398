/**
 * Settings from environment variables, read the same way by the service and the edge function: every
 * variable of a schema, converted to its type and checked once at start, with every bad one named in
 * one message (the allowed values listed, a secret never repeated).
 */
import type { Static, TObject } from '@sinclair/typebox';
import { createValidators, explainSchemaErrors } from './schemas/validation';

export class SettingsError extends Error {}

/**
 * Reads `schema`'s variables from `env` (an empty one counts as unset), applies defaults and checks
 * them; throws SettingsError naming each bad variable. `secrets` are named but never shown.
 */
export function loadSettings<T extends TObject>(
  schema: T,
  env: NodeJS.ProcessEnv,
  { title, secrets = [] }: { title: string; secrets?: readonly string[] },
): Static<T> {
  const raw: Record<string, string> = {};
  const settings: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = settings[name] = value;
  }
  const validate = createValidators({ allErrors: true }).text.compile(schema);
  if (!validate(settings)) {
    const lines = explainSchemaErrors(validate.errors ?? []).map(({ instancePath, message }) => {
      const name = instancePath.slice(1).split('/')[0] || '(settings)';
      const shown = raw[name] === undefined ? '' : `=${secrets.includes(name) ? '(not shown)' : JSON.stringify(raw[name])}`;
      return `${name}${shown}: ${message}`;
    });
    throw new SettingsError(`Invalid ${title}:\n  ${[...new Set(lines)].join('\n  ')}`);
  }
  return settings;
}
