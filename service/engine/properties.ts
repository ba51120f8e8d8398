/**
 * What a condition's property reads, resolved as Flagsmith's engine resolves it against its evaluation
 * context `{ environment: { key, name }, features, segments, identity: { identifier, key, traits } }`,
 * but compiled once per condition instead of running a JSONPath query per evaluation.
 */
import type { TraitValue } from '../schemas/environment-document';

/** The identity being evaluated. */
export interface IdentityContext {
  readonly identifier: string;
  /** `<environment key>_<identifier>`: the key identity hashing uses. */
  readonly key: string;
  readonly traits: Readonly<Record<string, TraitValue>>;
}

export interface EnvironmentContext {
  readonly key: string;
  readonly name: string;
}

/**
 * Reads a value for an identity: a trait value, a context value, an object (which conditions read as
 * absent and splits hash as '[object Object]'), or, for the names plain objects inherit, the inherited
 * member (see `trait`).
 */
export type Resolver = (identity: IdentityContext) => unknown;

const TRAIT_DOT_PATH = /^\$\.identity\.traits\.(.+)$/;
const TRAIT_BRACKET_PATH = /^\$\.identity\.traits\['(.+)'\]$/;
/** JSONPath steps naming a plain property (no wildcard, filter, slice, union...): `.x`, `[x]`, `['x']`, `["x"]`. */
const NAME = `[^.[\\]'"\`;~^*$@?(),:#%]+`;
const QUOTED_NAME = `[^[\\]'"\`;~^*$@?(),:#%]+`; // dots allowed
const STEP = new RegExp(`\\.(${NAME})|\\[(${NAME})\\]|\\['(${QUOTED_NAME})'\\]|\\["(${QUOTED_NAME})"\\]`, 'y');
/** Stands for any object the context holds (the identity, its traits, the features...). */
const AN_OBJECT: object = Object.freeze({});
const PLAIN_OBJECT: Readonly<Record<string, unknown>> = {};

/**
 * A trait by name. Flagsmith copies the traits into a plain object and indexes it, so a name that plain
 * objects inherit (`constructor`, `toString`, `__proto__`...) reads the inherited member unless the
 * identity has such a trait (never for `__proto__`, which that copy cannot hold).
 */
export function trait(name: string): Resolver {
  const inherited = PLAIN_OBJECT[name];
  if (inherited === undefined) return (identity) => identity.traits[name];
  if (name === '__proto__') return () => inherited;
  return (identity) => (Object.hasOwn(identity.traits, name) ? identity.traits[name] : inherited);
}

/** The steps of a `$.` path, or undefined if it has any other JSONPath (or an empty step). */
function stepsOf(path: string): string[] | undefined {
  const steps: string[] = [];
  STEP.lastIndex = 1; // after the '$'
  while (STEP.lastIndex < path.length) {
    const match = STEP.exec(path);
    if (!match) return undefined;
    steps.push(match[1] ?? match[2] ?? match[3] ?? match[4]);
  }
  return steps;
}

/** JSONPath's step into a value: own properties of a truthy value only (characters of a string too). */
function step(value: unknown, steps: readonly string[]): unknown {
  for (const name of steps) {
    if (!value || !Object.hasOwn(Object(value) as object, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/**
 * A `$.` path as Flagsmith's JSONPath query resolves it, for paths of plain steps into the environment
 * and the identity; undefined for the JSONPath we do not resolve (wildcards, filters, unions, slices,
 * recursive descent, empty steps, paths into `features` or `segments`).
 */
export function contextPath(path: string, environment: EnvironmentContext): Resolver | undefined {
  const steps = stepsOf(path);
  if (!steps) return undefined;
  const [root, member, ...rest] = steps;
  switch (root) {
    case 'environment': {
      const value = step({ key: environment.key, name: environment.name }, steps.slice(1));
      return () => value;
    }
    case 'identity':
      switch (member) {
        case undefined:
          return () => AN_OBJECT;
        case 'identifier':
          return (identity) => step(identity.identifier, rest);
        case 'key':
          return (identity) => step(identity.key, rest);
        case 'traits': {
          if (rest.length === 0) return () => AN_OBJECT;
          const [name, ...deeper] = rest;
          if (name === '__proto__') return () => undefined;
          return (identity) => (Object.hasOwn(identity.traits, name) ? step(identity.traits[name], deeper) : undefined);
        }
        default:
          return () => undefined;
      }
    case 'features':
    case 'segments':
      return member === undefined ? () => AN_OBJECT : undefined;
    default:
      return () => undefined;
  }
}

/**
 * What a condition (other than a percentage split) compares: `$.identity.traits.X` (or `['X']`) is
 * trait X, another `$.` path its context value if that is a primitive, and anything else, including
 * a `$.` path that resolves to nothing or to an object, the trait of that literal name.
 */
export function conditionProperty(property: string, environment: EnvironmentContext): Resolver {
  if (!property.startsWith('$.')) return trait(property);
  const traitName = TRAIT_DOT_PATH.exec(property)?.[1] ?? TRAIT_BRACKET_PATH.exec(property)?.[1];
  if (traitName !== undefined) return trait(traitName);
  const path = contextPath(property, environment);
  const literal = trait(property);
  if (!path) return literal;
  return (identity) => {
    const value = path(identity);
    return value === undefined || (value !== null && typeof value === 'object') ? literal(identity) : value;
  };
}

/**
 * What a percentage split hashes the identity by: the identity key, or the context value a `$.`
 * property names; undefined when it can name none (then the split never matches).
 */
export function splitKey(property: string | null | undefined, environment: EnvironmentContext): Resolver | undefined {
  if (!property) return (identity) => identity.key;
  return property.startsWith('$.') ? contextPath(property, environment) : undefined;
}
