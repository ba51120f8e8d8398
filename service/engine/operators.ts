/**
 * Condition operators, compiled once per condition into a test of the value the condition's property
 * reads. The semantics are Flagsmith's, quirks included: the condition's text is cast to the type of
 * the value it meets, then compared with JavaScript's loose operators.
 */
import { SemVer, compare as compareVersions } from 'semver';
import type { ConditionOperator } from '../schemas/environment-document';
import { compilePattern } from './patterns';

/**
 * Tests a present (non-null) value. `any`: Flagsmith compares with JavaScript's coercing operators,
 * which this reproduces on purpose (a trait named like an inherited member can even meet a function).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- on purpose: see above
export type ValueTest = (value: any) => boolean;

/** What an operator does with a condition: test the property's value, test whether it is set, or split by hash. */
export type OperatorRule =
  | {
      readonly kind: 'value';
      /** The test with the condition's value, or undefined when it can never match (a malformed value). */
      readonly compile: (conditionValue: string | null | undefined) => ValueTest | undefined;
    }
  | { readonly kind: 'presence'; readonly set: boolean }
  | { readonly kind: 'split' };

/** The operators whose condition value is cast to the value's type, or read as a version when it ends in `:semver`. */
type Comparison = 'EQUAL' | 'NOT_EQUAL' | 'GREATER_THAN' | 'GREATER_THAN_INCLUSIVE' | 'LESS_THAN' | 'LESS_THAN_INCLUSIVE' | 'CONTAINS';

const comparing = (operator: Comparison): OperatorRule => ({
  kind: 'value',
  compile: (conditionValue) =>
    typeof conditionValue === 'string' && conditionValue.endsWith(':semver')
      ? semverComparison(operator, conditionValue.replace(':semver', ''))
      : comparison(operator, conditionValue),
});

/**
 * Every operator Flagsmith defines, and what it does: one table, typed by the operators' union, so
 * that a missing one does not compile. IS_SET, IS_NOT_SET and PERCENTAGE_SPLIT read no value: segments.ts
 * applies them.
 */
const OPERATORS: { readonly [Operator in ConditionOperator]: OperatorRule } = {
  EQUAL: comparing('EQUAL'),
  NOT_EQUAL: comparing('NOT_EQUAL'),
  GREATER_THAN: comparing('GREATER_THAN'),
  GREATER_THAN_INCLUSIVE: comparing('GREATER_THAN_INCLUSIVE'),
  LESS_THAN: comparing('LESS_THAN'),
  LESS_THAN_INCLUSIVE: comparing('LESS_THAN_INCLUSIVE'),
  CONTAINS: comparing('CONTAINS'),
  NOT_CONTAINS: {
    kind: 'value',
    compile: (conditionValue) => (conditionValue ? (value) => typeof value === 'string' && !value.includes(conditionValue) : undefined),
  },
  REGEX: {
    kind: 'value',
    compile: (conditionValue) => {
      const pattern = conditionValue ? compilePattern(conditionValue) : undefined;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- any value, by its own toString, as in Flagsmith
      return pattern === undefined || 'problem' in pattern ? undefined : (value) => pattern.test(value.toString());
    },
  },
  IN: {
    kind: 'value',
    compile: (conditionValue) => {
      if (typeof conditionValue !== 'string') return undefined;
      const members = inListMembers(conditionValue);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- any value, by its own toString, as in Flagsmith
      return (value) => !!value && typeof value !== 'boolean' && members.has(value.toString());
    },
  },
  MODULO: { kind: 'value', compile: (conditionValue) => modulo(conditionValue) },
  IS_SET: { kind: 'presence', set: true },
  IS_NOT_SET: { kind: 'presence', set: false },
  PERCENTAGE_SPLIT: { kind: 'split' },
};

/** An operator's rule; undefined for a name Flagsmith does not define (its conditions never match). */
export const operatorRule = (operator: string): OperatorRule | undefined =>
  Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator as ConditionOperator] : undefined;

/** The test an operator applies with a condition's value; undefined when it can never match or reads no value. */
export function compileOperator(operator: string, conditionValue: string | null | undefined): ValueTest | undefined {
  const rule = operatorRule(operator);
  return rule?.kind === 'value' ? rule.compile(conditionValue) : undefined;
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
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- any value, as Flagsmith parses it
    const number = parseFloat(value);
    return !isNaN(number) && number % divisor === remainder;
  };
}

function comparison(operator: Comparison, conditionValue: string | null | undefined): ValueTest | undefined {
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
  }
}

/** A `<version>:semver` value: orderings compare versions (an invalid one never matches), the rest the text. */
function semverComparison(operator: Comparison, version: string): ValueTest | undefined {
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
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- any value, as Flagsmith hands it to semver
      return test(compareVersions(value, parsed));
    } catch {
      return false; // not a version
    }
  };
}
