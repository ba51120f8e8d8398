/** Each operator and its edge cases, with expectations worked out by hand from Flagsmith's rules. */
import { createHash } from 'node:crypto';
import { compileEnvironment, evaluateIdentityFlags, hashedPercentage } from '../../service/engine';
import type { SegmentCondition, TraitValue } from '../../service/schemas/environment-document';
import { rule, segmentDocument } from './build-document';

const matches = (condition: SegmentCondition, traits: Record<string, TraitValue>, identifier = 'someone') => {
  const env = compileEnvironment(segmentDocument([rule('ALL', [condition])]));
  return evaluateIdentityFlags(env, identifier, traits)[0].value === 'on';
};
const c = (operator: SegmentCondition['operator'], value: string | null, property_: string | null = 't'): SegmentCondition => ({ operator, property_, value });

describe.each<[string, SegmentCondition, TraitValue | undefined, boolean]>([
  // EQUAL casts the condition value to the trait's type.
  ['EQUAL string', c('EQUAL', 'pro'), 'pro', true],
  ['EQUAL string, case differs', c('EQUAL', 'pro'), 'Pro', false],
  ['EQUAL integer', c('EQUAL', '21'), 21, true],
  ['EQUAL float vs integer text', c('EQUAL', '21.0'), 21, true],
  ['EQUAL boolean true', c('EQUAL', 'true'), true, true],
  ['EQUAL boolean: anything but False/false is true', c('EQUAL', 'yes'), true, true],
  ['EQUAL boolean false', c('EQUAL', 'False'), false, true],
  ['EQUAL number trait, non-numeric value', c('EQUAL', 'abc'), 5, false],
  ['NOT_EQUAL', c('NOT_EQUAL', 'free'), 'pro', true],
  ['NOT_EQUAL same', c('NOT_EQUAL', '3'), 3, false],
  ['NOT_EQUAL missing trait never matches', c('NOT_EQUAL', 'free'), undefined, false],
  ['GREATER_THAN numbers', c('GREATER_THAN', '18'), 19, true],
  ['GREATER_THAN equal', c('GREATER_THAN', '18'), 18, false],
  ['GREATER_THAN float', c('GREATER_THAN', '1.5'), 1.6, true],
  ['GREATER_THAN strings compare as text', c('GREATER_THAN', '10'), '9', true],
  ['GREATER_THAN_INCLUSIVE equal', c('GREATER_THAN_INCLUSIVE', '18'), 18, true],
  ['LESS_THAN', c('LESS_THAN', '18'), 17, true],
  ['LESS_THAN equal', c('LESS_THAN', '18'), 18, false],
  ['LESS_THAN_INCLUSIVE equal', c('LESS_THAN_INCLUSIVE', '18'), 18, true],
  ['CONTAINS', c('CONTAINS', '@acme.'), 'ann@acme.com', true],
  ['CONTAINS absent', c('CONTAINS', '@acme.'), 'ann@other.com', false],
  ['CONTAINS on a number trait is false', c('CONTAINS', '1'), 123, false],
  ['NOT_CONTAINS', c('NOT_CONTAINS', '@acme.'), 'ann@other.com', true],
  ['NOT_CONTAINS present', c('NOT_CONTAINS', '@acme.'), 'ann@acme.com', false],
  ['NOT_CONTAINS on a number trait is false', c('NOT_CONTAINS', '1'), 5, false],
  ['REGEX', c('REGEX', '^[a-z]+-\\d+$'), 'user-42', true],
  ['REGEX no match', c('REGEX', '^[a-z]+$'), 'user-42', false],
  ['REGEX on a number trait uses its text', c('REGEX', '^4\\d$'), 42, true],
  ['REGEX invalid pattern never matches', c('REGEX', '(unclosed'), '(unclosed', false],
  ['IN comma list', c('IN', 'pro,enterprise'), 'enterprise', true],
  ['IN is exact per item (spaces count)', c('IN', 'pro, enterprise'), 'enterprise', false],
  ['IN JSON list', c('IN', '["pro","enterprise"]'), 'pro', true],
  ['IN number trait matched as text', c('IN', '1,2,3'), 2, true],
  ['IN boolean trait is false', c('IN', 'true'), true, false],
  ['IN empty string trait is false', c('IN', ',a'), '', false],
  ['MODULO', c('MODULO', '2|0'), 4, true],
  ['MODULO remainder', c('MODULO', '3|1'), 7, true],
  ['MODULO numeric string trait', c('MODULO', '2|0'), '10', true],
  ['MODULO malformed value', c('MODULO', '2'), 4, false],
  ['MODULO divisor zero', c('MODULO', '0|0'), 4, false],
  ['MODULO non-numeric trait', c('MODULO', '2|0'), 'abc', false],
  ['IS_SET', c('IS_SET', null), 'x', true],
  ['IS_SET missing', c('IS_SET', null), undefined, false],
  ['IS_NOT_SET missing', c('IS_NOT_SET', null), undefined, true],
  ['IS_NOT_SET present', c('IS_NOT_SET', null), 0, false],
  ['semver GREATER_THAN', c('GREATER_THAN', '1.2.3:semver'), '1.10.0', true],
  ['semver EQUAL', c('EQUAL', '1.2.3:semver'), '1.2.3', true],
  ['semver LESS_THAN_INCLUSIVE', c('LESS_THAN_INCLUSIVE', '2.0.0:semver'), '2.0.0', true],
  ['semver with an invalid trait is false', c('GREATER_THAN', '1.0.0:semver'), 'not-a-version', false],
  ['semver NOT_EQUAL compares text', c('NOT_EQUAL', '1.2.3:semver'), '1.2.4', true],
])('%s', (_name, condition, trait, expected) => {
  test(`→ ${expected}`, () => {
    expect(matches(condition, trait === undefined ? {} : { t: trait })).toBe(expected);
  });
});

describe('context properties', () => {
  test('$.identity.identifier and $.environment.name', () => {
    expect(matches(c('EQUAL', 'ada', '$.identity.identifier'), {}, 'ada')).toBe(true);
    expect(matches(c('EQUAL', 'ada', '$.identity.identifier'), {}, 'bob')).toBe(false);
    expect(matches(c('EQUAL', 'Test', '$.environment.name'), {})).toBe(true);
    expect(matches(c('EQUAL', 'env_key_ada', '$.identity.key'), {}, 'ada')).toBe(true);
  });
  test('$.identity.traits paths read traits, in both spellings', () => {
    expect(matches(c('EQUAL', 'x', '$.identity.traits.plan'), { plan: 'x' })).toBe(true);
    expect(matches(c('EQUAL', 'x', "$.identity.traits['a.b']"), { 'a.b': 'x' })).toBe(true);
  });
  test('an unknown $. path falls back to a trait of that literal name', () => {
    expect(matches(c('EQUAL', 'x', '$.nowhere'), { '$.nowhere': 'x' })).toBe(true);
  });
  test('a condition without a property never matches (but for percentage splits)', () => {
    expect(matches(c('EQUAL', 'x', null), { t: 'x' })).toBe(false);
  });
});

describe('hashing and percentage splits', () => {
  // Computed independently of the engine: md5 → integer → mod 9999 → /9998 → percent.
  const reference = (text: string) => (Number(BigInt(`0x${createHash('md5').update(text).digest('hex')}`) % 9999n) / 9998) * 100;

  test('hashedPercentage is md5 of the ids joined by commas', () => {
    for (const ids of [['7', 'env_key_ada'], ['1', 'a'], ['123456', 'x_y_z']]) {
      expect(hashedPercentage(ids)).toBeCloseTo(reference(ids.join(',')), 12);
      expect(hashedPercentage(ids)).toBeGreaterThanOrEqual(0);
      expect(hashedPercentage(ids)).toBeLessThan(100);
    }
  });

  test('a split matches exactly when the identity hashes at or below the percentage', () => {
    for (const identifier of ['ada', 'bob', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal']) {
      const percentage = reference(`7,env_key_${identifier}`);
      expect(matches(c('PERCENTAGE_SPLIT', String(percentage), null), {}, identifier)).toBe(true);
      expect(matches(c('PERCENTAGE_SPLIT', String(percentage - 0.001), null), {}, identifier)).toBe(false);
    }
  });

  test('0 includes nobody and 100 includes everybody', () => {
    expect(matches(c('PERCENTAGE_SPLIT', '100', null), {}, 'anyone')).toBe(true);
    const inZero = ['a', 'b', 'c', 'd', 'e'].filter((id) => matches(c('PERCENTAGE_SPLIT', '0', null), {}, id));
    expect(inZero).toEqual([]);
  });
});

describe('rules', () => {
  const yes = c('EQUAL', 'y');
  const no = c('EQUAL', 'n');
  const with_ = (rules: ReturnType<typeof rule>[]) =>
    evaluateIdentityFlags(compileEnvironment(segmentDocument(rules)), 'id', { t: 'y' })[0].value === 'on';

  test.each([
    ['ALL all true', [rule('ALL', [yes, yes])], true],
    ['ALL one false', [rule('ALL', [yes, no])], false],
    ['ANY one true', [rule('ANY', [no, yes])], true],
    ['ANY none true', [rule('ANY', [no, no])], false],
    ['NONE none true', [rule('NONE', [no, no])], true],
    ['NONE one true', [rule('NONE', [no, yes])], false],
    ['empty ALL rule matches', [rule('ALL', [])], true],
    ['empty ANY rule: no conditions is a match (only lists are ANY-ed)', [rule('ANY', [])], true],
    ['nested: ALL of (ANY(no,yes), NONE(no))', [rule('ALL', [], [rule('ANY', [no, yes]), rule('NONE', [no])])], true],
    ['nested: conditions and sub-rules must both hold', [rule('ALL', [no], [rule('ANY', [yes])])], false],
    ['every top-level rule must hold', [rule('ALL', [yes]), rule('ALL', [no])], false],
    ['a segment with no rules never matches', [], false],
  ] as const)('%s → %s', (_name, rules, expected) => {
    expect(with_([...rules])).toBe(expected);
  });
});
