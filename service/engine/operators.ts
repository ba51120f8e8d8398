/**
 * Condition operators, compiled once per condition into a test of the value the condition's property
 * reads. The semantics are Flagsmith's, quirks included: the condition's text is cast to the type of
 * the value it meets, then compared with JavaScript's loose operators.
 */
import { SemVer, compare as compareVersions } from 'semver';
import { compilePattern } from './patterns';

/**
 * Tests a present (non-null) value. `any`: Flagsmith compares with JavaScript's coercing operators,
 * which this reproduces on purpose (a trait named like an inherited member can even meet a function).
 */
export type ValueTest = (value: any) => boolean;

/**
 * The test an operator applies with the condition's value, or undefined when it can never match
 * (an unknown operator, a pattern RE2 or RegExp refuses, an invalid semver, a malformed MODULO...). IS_SET, IS_NOT_SET and
 * PERCENTAGE_SPLIT do not test a value: see segments.ts.
 */
export function compileOperator(operator: string, conditionValue: string | null | undefined): ValueTest | undefined {
  switch (operator) {
    case 'NOT_CONTAINS': {
      if (!conditionValue) return undefined;
      return (value) => typeof value === 'string' && !value.includes(conditionValue);
    }
    case 'REGEX': {
      if (!conditionValue) return undefined;
      const pattern = compilePattern(conditionValue);
      if ('problem' in pattern) return undefined;
      return (value) => pattern.test(value.toString());
    }
    case 'MODULO':
      return modulo(conditionValue);
    case 'IN': {
      if (typeof conditionValue !== 'string') return undefined;
      const members = inListMembers(conditionValue);
      return (value) => !!value && typeof value !== 'boolean' && members.has(value.toString());
    }
  }
  return typeof conditionValue === 'string' && conditionValue.endsWith(':semver')
    ? semverComparison(operator, conditionValue.replace(':semver', ''))
    : comparison(operator, conditionValue);
}

/** The members of an IN list: a JSON array's strings, else the comma-separated items, spaces kept. */
export function inListMembers(list: string): ReadonlySet<string> {
  try {
    const parsed: unknown = JSON.parse(list);
    if (Array.isArray(parsed)) return new Set(parsed.filter((member): member is string => typeof member === 'string'));
  } catch {
    // not JSON: a comma-separated list
  }
  return new Set(list.split(','));
}

/** `divisor|remainder`: a numeric value (or numeric text) whose remainder by divisor is remainder. */
function modulo(conditionValue: string | null | undefined): ValueTest | undefined {
  const parts = conditionValue ? conditionValue.split('|') : [];
  if (parts.length !== 2) return undefined;
  const divisor = parseFloat(parts[0]);
  const remainder = parseFloat(parts[1]);
  if (isNaN(divisor) || isNaN(remainder) || divisor === 0) return undefined;
  return (value) => {
    const number = parseFloat(value);
    return !isNaN(number) && number % divisor === remainder;
  };
}

function comparison(operator: string, conditionValue: string | null | undefined): ValueTest | undefined {
  // The condition's value cast to each type a value can have, once.
  const asString = String(conditionValue);
  const asNumber = parseFloat(asString);
  const asBoolean = asString !== 'False' && asString !== 'false';
  const cast = (value: unknown) => (typeof value === 'number' ? asNumber : typeof value === 'boolean' ? asBoolean : asString);
  switch (operator) {
    case 'EQUAL':
      return (value) => cast(value) == value;
    case 'NOT_EQUAL':
      return (value) => cast(value) != value;
    case 'GREATER_THAN':
      return (value) => value > cast(value);
    case 'GREATER_THAN_INCLUSIVE':
      return (value) => value >= cast(value);
    case 'LESS_THAN':
      return (value) => cast(value) > value;
    case 'LESS_THAN_INCLUSIVE':
      return (value) => cast(value) >= value;
    case 'CONTAINS':
      return contains(asString);
    default:
      return undefined;
  }
}

/** A `<version>:semver` value: orderings compare versions (an invalid one never matches), the rest the text. */
function semverComparison(operator: string, version: string): ValueTest | undefined {
  switch (operator) {
    case 'NOT_EQUAL':
      return (value) => version != value;
    case 'CONTAINS':
      return contains(version);
    case 'EQUAL':
      return versionTest(version, (order) => order === 0);
    case 'GREATER_THAN':
      return versionTest(version, (order) => order > 0);
    case 'GREATER_THAN_INCLUSIVE':
      return versionTest(version, (order) => order >= 0);
    case 'LESS_THAN':
      return versionTest(version, (order) => order < 0);
    case 'LESS_THAN_INCLUSIVE':
      return versionTest(version, (order) => order <= 0);
    default:
      return undefined;
  }
}

/** Only a non-empty string contains anything (Flagsmith calls `.includes` and treats a throw as false). */
const contains =
  (needle: string): ValueTest =>
  (value) =>
    typeof value === 'string' && value !== '' && value.includes(needle);

function versionTest(version: string, test: (order: number) => boolean): ValueTest | undefined {
  let parsed: SemVer;
  try {
    parsed = new SemVer(version);
  } catch {
    return undefined;
  }
  return (value) => {
    try {
      return test(compareVersions(value, parsed));
    } catch {
      return false; // not a version
    }
  };
}
