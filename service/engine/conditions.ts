/**
 * Segment conditions, compiled once into predicates. The semantics are Flagsmith's, quirks included
 * (loose equality, a condition value cast to the trait value's type, JavaScript string ordering), so
 * that this engine and the Flagsmith SDKs' engines put every identity in the same segments.
 */
import * as semver from 'semver';
import type { SegmentCondition, TraitValue } from '../schemas/environment-document';
import { hashedPercentage } from './hashing';

/** What conditions are evaluated against. */
export interface IdentityContext {
  readonly identifier: string;
  /** `<environment key>_<identifier>`: the identity's hashing key. */
  readonly key: string;
  readonly traits: Readonly<Record<string, TraitValue>>;
  readonly environmentKey: string;
  readonly environmentName: string;
}

export type Predicate = (identity: IdentityContext) => boolean;

type Value = TraitValue | null | undefined;
type Resolver = (identity: IdentityContext) => Value | object;

const TRAIT_PATH = /^\$\.identity\.traits\.(.+)$/;
const TRAIT_BRACKET_PATH = /^\$\.identity\.traits\['(.+)'\]$/;

/** A `$.` context path, as Flagsmith's JSONPath lookup resolves the ones that name values. */
function contextPath(path: string): Resolver | undefined {
  switch (path) {
    case '$.identity.identifier':
      return (identity) => identity.identifier;
    case '$.identity.key':
      return (identity) => identity.key;
    case '$.environment.name':
      return (identity) => identity.environmentName;
    case '$.environment.key':
      return (identity) => identity.environmentKey;
    case '$.identity.traits':
      return (identity) => identity.traits;
  }
  const trait = TRAIT_PATH.exec(path)?.[1] ?? TRAIT_BRACKET_PATH.exec(path)?.[1];
  return trait === undefined ? undefined : (identity) => identity.traits[trait];
}

/** The value a condition's property names: a trait, or a context path that resolves to a primitive. */
function propertyResolver(property: string): (identity: IdentityContext) => Value {
  const trait = TRAIT_PATH.exec(property)?.[1] ?? TRAIT_BRACKET_PATH.exec(property)?.[1];
  if (trait !== undefined) return (identity) => identity.traits[trait];
  const path = property.startsWith('$.') ? contextPath(property) : undefined;
  if (!path) return (identity) => identity.traits[property];
  return (identity) => {
    const value = path(identity);
    return value !== undefined && (value === null || typeof value !== 'object') ? (value as Value) : identity.traits[property];
  };
}

const isSemverValue = (value: unknown): value is string => typeof value === 'string' && value.endsWith(':semver');

/** Flagsmith casts the condition's value to the trait value's type before comparing. */
function castTo(type: string, value: unknown): unknown {
  switch (type) {
    case 'boolean':
      return !['False', 'false'].includes(value as string);
    case 'number':
      return parseFloat(value as string);
    case 'semver':
      return (value as string).replace(':semver', '');
    default:
      return String(value);
  }
}

/* eslint-disable eqeqeq -- loose equality is Flagsmith's semantics */
type Compare = (condition: any, trait: any) => boolean;
const COMPARISONS: Record<string, Compare> = {
  EQUAL: (c, t) => c == t,
  NOT_EQUAL: (c, t) => c != t,
  GREATER_THAN: (c, t) => t > c,
  GREATER_THAN_INCLUSIVE: (c, t) => t >= c,
  LESS_THAN: (c, t) => c > t,
  LESS_THAN_INCLUSIVE: (c, t) => c >= t,
  CONTAINS: (c, t) => {
    try {
      return !!t && t.includes(c);
    } catch {
      return false;
    }
  },
};
/* eslint-enable eqeqeq */

const safe =
  (compare: (trait: string, condition: string) => boolean): Compare =>
  (c, t) => {
    try {
      return compare(t, c);
    } catch {
      return false;
    }
  };
const SEMVER_COMPARISONS: Record<string, Compare> = {
  ...COMPARISONS,
  EQUAL: safe(semver.eq),
  GREATER_THAN: safe(semver.gt),
  GREATER_THAN_INCLUSIVE: safe(semver.gte),
  LESS_THAN: safe(semver.lt),
  LESS_THAN_INCLUSIVE: safe(semver.lte),
};

/** A matcher of a present (non-null) trait value against the condition's value. */
function valueMatcher(operator: string, value: Value): (trait: TraitValue) => boolean {
  switch (operator) {
    case 'NOT_CONTAINS':
      return (trait) => typeof trait === 'string' && !!value && !trait.includes(value.toString());
    case 'REGEX': {
      if (!value) return () => false;
      let regex: RegExp;
      try {
        regex = new RegExp(value.toString());
      } catch {
        return () => false;
      }
      return (trait) => regex.test(trait.toString());
    }
    case 'MODULO': {
      const parts = value ? value.toString().split('|') : [];
      const divisor = parseFloat(parts[0]);
      const remainder = parseFloat(parts[1]);
      if (parts.length !== 2 || isNaN(divisor) || isNaN(remainder) || divisor === 0) return () => false;
      return (trait) => {
        const number = parseFloat(trait as string);
        return !isNaN(number) && number % divisor === remainder;
      };
    }
    case 'IN': {
      let members: unknown[] | undefined;
      if (typeof value === 'string') {
        try {
          const parsed: unknown = JSON.parse(value);
          if (Array.isArray(parsed)) members = parsed;
        } catch {
          // not a JSON list: a comma-separated one
        }
        members ??= value.split(',');
      }
      const set = new Set(members ?? []);
      return (trait) => !!trait && typeof trait !== 'boolean' && set.has(trait.toString());
    }
  }
  const semverValue = isSemverValue(value);
  const compare = (semverValue ? SEMVER_COMPARISONS : COMPARISONS)[operator];
  if (!compare) return () => false;
  if (semverValue) {
    const cast = castTo('semver', value);
    return (trait) => compare(cast, trait);
  }
  // The cast depends only on the trait's type: precompute the three possible casts.
  const asBoolean = castTo('boolean', value);
  const asNumber = castTo('number', value);
  const asString = castTo('string', value);
  return (trait) =>
    compare(typeof trait === 'boolean' ? asBoolean : typeof trait === 'number' ? asNumber : asString, trait);
}

/** Compiles one condition of the segment whose hashing key is `segmentKey`. */
export function compileCondition(condition: SegmentCondition, segmentKey: string): Predicate {
  const { operator, property_: property, value } = condition;
  if (operator === 'PERCENTAGE_SPLIT') {
    const threshold = parseFloat(String(value));
    // With a property, the split is keyed by that context value (Flagsmith resolves `$.` paths only).
    const path = property ? (property.startsWith('$.') ? contextPath(property) : undefined) : undefined;
    if (property && !path) return () => false;
    return (identity) => {
      const splitKey = path ? path(identity) : identity.key;
      if (!splitKey) return false;
      return hashedPercentage([segmentKey, String(splitKey)]) <= threshold;
    };
  }
  if (!property) return () => false;
  const resolve = propertyResolver(property);
  if (operator === 'IS_SET') return (identity) => resolve(identity) != null;
  if (operator === 'IS_NOT_SET') return (identity) => resolve(identity) == null;
  const matches = valueMatcher(operator, value);
  return (identity) => {
    const trait = resolve(identity);
    return trait != null && matches(trait);
  };
}
