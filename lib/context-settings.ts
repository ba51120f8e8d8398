/**
 * Settings from CDK context, read the way service/settings.ts reads the service's and the edge's from
 * their environment: every key of a schema converted to its type, checked once, with every bad one
 * named in one message. Validation and its messages are the service's own (ajv through
 * service/schemas/validation.ts): a pattern's refusal shows the setting's `examples`, a choice lists
 * its values. What is particular to context: the CDK CLI passes every `-c key=value` as the string
 * after the first `=` (`-c account=012345678901` arrives as "012345678901"), lists comma-separated;
 * cdk.json and programmatic context may hold numbers, booleans and lists; and the context holds CDK's
 * own keys too, which are passed over. A key that is no setting is an error (a misspelt setting would
 * otherwise be ignored in silence).
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { createValidators, explainSchemaErrors } from '../service/schemas/validation';

/** A bad setting: the operator's input, not a bug (bin/flagstack.ts prints its message alone). */
export class ContextSettingsError extends Error {}

/** A problem between settings that are each valid: the key it is reported on, and what is wrong. */
export interface SettingProblem {
  readonly key: string;
  readonly message: string;
}

export interface ContextSettingsOptions<T> {
  /** What the settings are, in the message: `Invalid <title>: …`. */
  readonly title: string;
  /**
   * Checks between settings, run once each is valid on its own.
   * @default none
   */
  readonly check?: (settings: T) => readonly SettingProblem[];
}

// The kinds of setting the stages share.

const REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]$';
/** An AWS region such as `eu-west-2`. */
export const Region = (options: { description?: string; default?: string } = {}) =>
  Type.String({ pattern: REGION_PATTERN, examples: ['eu-west-2'], ...options });

/** An instance type such as `t4g.medium`. */
export const InstanceType = (description: string, fallback: string) =>
  Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$', examples: ['t4g.medium', 'r7g.large'], default: fallback, description });

/** A Graviton (ARM64) instance type: the family ends in `g` plus optional suffixes (`t4g`, `c7gn`, `m8gd`). */
export const GravitonInstanceType = (description: string, fallback: string) =>
  Type.String({
    pattern: '^[a-z]+[0-9]+g[a-z]*\\.[a-z0-9]+$',
    examples: ['t4g.small', 'm7g.large', 'c7gn.xlarge'],
    default: fallback,
    description,
  });

/** A problem on `key` when `settings[key]` is below `settings[other]`, else none. */
export function atLeast<T>(settings: T, key: keyof T & string, other: keyof T & string): SettingProblem[] {
  return (settings[key] as number) < (settings[other] as number)
    ? [{ key, message: `must be at least ${other} (${String(settings[other])})` }]
    : [];
}

/**
 * Recognised context keys that are not settings: CDK's own (`aws:cdk:…`, `@aws-cdk/…:…`, lookups), and
 * the plain ones its CLI writes into cdk.context.json (`cdk acknowledge`, telemetry).
 */
const CDK_PLAIN_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry']);
const isCdkContextKey = (key: string) => key.includes(':') || key.startsWith('@') || CDK_PLAIN_KEYS.has(key);

/** A value as it was given: a command-line string as typed, a list as commas, anything else as JSON. */
const shown = (value: unknown) => (typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : JSON.stringify(value));

/** Names joined for a sentence: `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
const listed = (names: readonly string[]) =>
  names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/**
 * A context value as the setting's schema reads it: a string for a list setting split at commas (or
 * parsed, when it is a JSON list), any other string trimmed; numbers and booleans in strings are left
 * to ajv's coercion, as service/settings.ts leaves them. Undefined for a list that is neither.
 */
function fromContext(schema: TSchema, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (schema.type !== 'array') return text;
  if (!text.startsWith('[')) return text.split(',').map((item) => item.trim());
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads `schema`'s settings from `context` (an app's whole context: CDK's own keys are passed over,
 * an empty value counts as unset), applies the defaults and checks them, then runs `check`. Throws
 * ContextSettingsError with one line per bad key, naming it, the value as given and what it accepts.
 */
export function loadContextSettings<T extends TObject>(
  schema: T,
  context: Readonly<Record<string, unknown>>,
  { title, check }: ContextSettingsOptions<Static<T>>,
): Static<T> {
  const keys = Object.keys(schema.properties);
  const properties = schema.properties as Record<string, TSchema>;
  const given: Record<string, unknown> = {};
  const settings: Record<string, unknown> = {};
  const unknown: string[] = [];
  const problems = new Map<string, string[]>();
  const problem = (key: string, message: string) => problems.set(key, [...(problems.get(key) ?? []), message]);

  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === '' || isCdkContextKey(key)) continue;
    if (!keys.includes(key)) {
      const sameLetters = keys.find((setting) => setting.toLowerCase() === key.toLowerCase());
      unknown.push(
        `context key ${key}: not a setting; ${sameLetters !== undefined ? `did you mean ${sameLetters}?` : `the settings are ${keys.join(', ')}`}`,
      );
      continue;
    }
    given[key] = value;
    const converted = fromContext(properties[key], value);
    if (converted === undefined) problem(key, 'must be a comma-separated list or a JSON list; this is neither');
    else settings[key] = converted;
  }

  const validate = createValidators({ allErrors: true }).text.compile(schema);
  if (!validate(settings)) {
    // A list's bad items are named in the line of their list: `"moon" and "mars" must look like "eu-west-2"`.
    const items = new Map<string, { key: string; message: string; names: string[] }>();
    for (const { instancePath, message = 'is invalid' } of explainSchemaErrors(validate.errors ?? [])) {
      const [key, ...inside] = instancePath.slice(1).split('/');
      if (inside.length === 0) {
        problem(key, message);
        continue;
      }
      const item = inside.reduce<unknown>((value, step) => (value as Record<string, unknown> | undefined)?.[step], settings[key]);
      const same = items.get(`${key}: ${message}`) ?? { key, message, names: [] };
      items.set(`${key}: ${message}`, { ...same, names: [...same.names, JSON.stringify(item)] });
    }
    for (const { key, message, names } of items.values()) problem(key, `${listed(names)} ${message}`);
  }
  for (const [key, value] of Object.entries(given)) {
    // A JSON number has lost any leading zeros a string setting (an account id) may need.
    if (typeof value === 'number' && properties[key].type === 'string' && problems.has(key)) {
      problem(key, `a number cannot keep leading zeros, so give it as a string ("${key}": "0…" in cdk.json, or -c ${key}=0…)`);
    }
  }

  const line = (key: string, messages: readonly string[]) => {
    const value = key in given ? given[key] : settings[key];
    return `context key ${key}${value === undefined ? '' : `=${shown(value)}`}: ${messages.join('; ')}`;
  };
  const lines = [...unknown, ...keys.filter((key) => problems.has(key)).map((key) => line(key, problems.get(key)!))];
  if (lines.length === 0 && check !== undefined) {
    lines.push(...check(settings).map(({ key, message }) => line(key, [message])));
  }
  if (lines.length === 1) throw new ContextSettingsError(`Invalid ${title}: ${lines[0]}`);
  if (lines.length > 1) throw new ContextSettingsError(`Invalid ${title}:\n  ${lines.join('\n  ')}`);
  return settings;
}
