/**
 * Segments compiled into predicates over an identity. Conditions and rules are pure, so a compiled
 * rule short-circuits and tries its cheap checks before the expensive ones (regexes, versions,
 * md5 hashes); checks whose outcome is known without an identity fold into constants.
 */
import type { DocumentSegment, SegmentCondition, SegmentRule } from '../schemas/environment-document';
import { hashedPercentage } from './hashing';
import { operatorRule } from './operators';
import { patternProblem } from './patterns';
import { conditionProperty, splitKey, type EnvironmentContext, type IdentityContext } from './properties';

export type Predicate = (identity: IdentityContext) => boolean;

interface Check {
  readonly test: Predicate;
  /** Relative cost, to order the checks of a rule. */
  readonly cost: number;
}
/** A compiled condition or rule: a check, or its outcome when no identity can change it. */
type Compiled = Check | boolean;

const CHEAP = 1;
const PATTERN = 2;
const HASH = 3;

/** A segment's predicate, or its constant outcome (`false` for a segment without rules, as in Flagsmith). */
export function compileSegment(segment: DocumentSegment, environment: EnvironmentContext): Predicate | boolean {
  if (segment.rules.length === 0) return false;
  const key = String(segment.id);
  const matches = allOf(segment.rules.map((rule) => compileRule(rule, key, environment)));
  return typeof matches === 'boolean' ? matches : matches.test;
}

export const usesPercentageSplit = (segment: DocumentSegment): boolean => segment.rules.some(ruleUsesPercentageSplit);

const ruleUsesPercentageSplit = (rule: SegmentRule): boolean =>
  rule.conditions.some((condition) => condition.operator === 'PERCENTAGE_SPLIT') || rule.rules.some(ruleUsesPercentageSplit);

/**
 * A rule holds when its conditions and its sub-rules each satisfy its type. An empty list satisfies
 * every type, even ANY: Flagsmith only applies the type to a non-empty list.
 */
function compileRule(rule: SegmentRule, segmentKey: string, environment: EnvironmentContext): Compiled {
  const conditions = rule.conditions.map((condition) => compileCondition(condition, segmentKey, environment));
  const rules = rule.rules.map((sub) => compileRule(sub, segmentKey, environment));
  switch (rule.type) {
    case 'ALL':
      return allOf([...conditions, ...rules]);
    case 'NONE':
      return not(anyOf([...conditions, ...rules])); // of no conditions and no rules: true
    case 'ANY':
      return allOf([conditions.length === 0 || anyOf(conditions), rules.length === 0 || anyOf(rules)]);
  }
}

function compileCondition(condition: SegmentCondition, segmentKey: string, environment: EnvironmentContext): Compiled {
  const { operator, property_: property, value } = condition;
  const rule = operatorRule(operator);
  if (!rule) return false;
  switch (rule.kind) {
    case 'split': {
      const resolve = splitKey(property, environment);
      const threshold = parseFloat(String(value));
      // A hashed percentage lies in [0, 100): below 0 (or NaN) nobody is in, from 100 everybody with a key.
      if (!resolve || !(threshold >= 0)) return false;
      if (threshold >= 100) return { cost: CHEAP, test: (identity) => !!resolve(identity) };
      return {
        cost: HASH,
        test: (identity) => {
          const key = resolve(identity);
          // An object hashes as '[object Object]', as in Flagsmith's engine: on purpose.
          // eslint-disable-next-line @typescript-eslint/no-base-to-string
          return !!key && hashedPercentage(`${segmentKey},${String(key)}`) <= threshold;
        },
      };
    }
    case 'presence': {
      if (!property) return false;
      const resolve = conditionProperty(property, environment);
      return { cost: CHEAP, test: rule.set ? (identity) => resolve(identity) != null : (identity) => resolve(identity) == null };
    }
    case 'value': {
      if (!property) return false;
      const resolve = conditionProperty(property, environment);
      const test = rule.compile(value);
      if (!test) return false;
      return {
        cost: operator === 'REGEX' || value?.endsWith(':semver') ? PATTERN : CHEAP,
        test: (identity) => {
          const resolved = resolve(identity);
          return resolved != null && test(resolved);
        },
      };
    }
  }
}

/** Checks, cheapest first, once the constants are taken out. */
const checksOf = (items: readonly Compiled[]): Check[] =>
  items.filter((item): item is Check => typeof item !== 'boolean').sort((a, b) => a.cost - b.cost);

function allOf(items: readonly Compiled[]): Compiled {
  if (items.includes(false)) return false;
  const checks = checksOf(items);
  if (checks.length === 0) return true;
  if (checks.length === 1) return checks[0];
  const tests = checks.map((check) => check.test);
  return {
    cost: sumOfCosts(checks),
    test: (identity) => {
      for (const test of tests) if (!test(identity)) return false;
      return true;
    },
  };
}

function anyOf(items: readonly Compiled[]): Compiled {
  if (items.includes(true)) return true;
  const checks = checksOf(items);
  if (checks.length === 0) return false;
  if (checks.length === 1) return checks[0];
  const tests = checks.map((check) => check.test);
  return {
    cost: sumOfCosts(checks),
    test: (identity) => {
      for (const test of tests) if (test(identity)) return true;
      return false;
    },
  };
}

function not(item: Compiled): Compiled {
  if (typeof item === 'boolean') return !item;
  return { cost: item.cost, test: (identity) => !item.test(identity) };
}

const sumOfCosts = (checks: readonly Check[]) => checks.reduce((sum, check) => sum + check.cost, 0);

/**
 * The first condition among `rules` that the engine could only ever treat as not matching because
 * its pattern is refused (see patterns.ts), with its path below the rules (`0/conditions/1`); writes
 * and imports refuse such segments rather than store a condition that silently never matches.
 */
export function firstRefusedCondition(rules: readonly SegmentRule[], path = ''): { path: string; problem: string } | undefined {
  for (const [i, rule] of rules.entries()) {
    for (const [j, condition] of rule.conditions.entries()) {
      if (condition.operator !== 'REGEX' || !condition.value) continue; // no pattern: never matches, as in Flagsmith
      const problem = patternProblem(condition.value);
      if (problem) return { path: `${path}${i}/conditions/${j}/value`, problem: `REGEX ${JSON.stringify(condition.value)}: ${problem}` };
    }
    const deeper = firstRefusedCondition(rule.rules, `${path}${i}/rules/`);
    if (deeper) return deeper;
  }
  return undefined;
}
