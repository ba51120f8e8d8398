/** Rules, condition properties and percentage splits; each expectation also checked against Flagsmith's engine. */
import { createHash } from 'node:crypto';
import { compileSegment } from '../../service/engine/segments';
import type { SegmentCondition, SegmentRule, TraitValue } from '../../service/schemas/environment-document';
import { condition as c, inSegment, rule, segment, segmentDocument } from './build-document';
import { oracle } from './oracle';

/** Ours, asserted equal to the oracle's. */
async function inSegmentBoth(rules: SegmentRule[], traits: Record<string, TraitValue> = {}, identifier = 'someone'): Promise<boolean> {
  const ours = inSegment(rules, traits, identifier);
  const theirs = (await oracle(segmentDocument(rules)).identityFlags(identifier, traits)).f.value === 'on';
  expect({ ours }).toEqual({ ours: theirs });
  return ours;
}
const meetsBoth = (condition: SegmentCondition, traits: Record<string, TraitValue> = {}, identifier = 'someone') =>
  inSegmentBoth([rule('ALL', [condition])], traits, identifier);

describe('rules', () => {
  const yes = c('EQUAL', 'y');
  const no = c('EQUAL', 'n');

  test.each<[string, SegmentRule[], boolean]>([
    ['ALL all true', [rule('ALL', [yes, yes])], true],
    ['ALL one false', [rule('ALL', [yes, no])], false],
    ['ANY one true', [rule('ANY', [no, yes])], true],
    ['ANY none true', [rule('ANY', [no, no])], false],
    ['NONE none true', [rule('NONE', [no, no])], true],
    ['NONE one true', [rule('NONE', [no, yes])], false],
    ['an empty ALL rule matches', [rule('ALL', [])], true],
    ['an empty ANY rule matches (the type applies to non-empty lists only)', [rule('ANY', [])], true],
    ['an empty NONE rule matches', [rule('NONE', [])], true],
    ['ANY: no conditions, one matching sub-rule', [rule('ANY', [], [rule('ALL', [yes])])], true],
    ['ANY: a matching condition but no matching sub-rule', [rule('ANY', [yes], [rule('ALL', [no])])], false],
    ['NONE over conditions and sub-rules alike', [rule('NONE', [no], [rule('ALL', [yes])])], false],
    ['nested: ALL of (ANY(no, yes), NONE(no))', [rule('ALL', [], [rule('ANY', [no, yes]), rule('NONE', [no])])], true],
    ['nested: conditions and sub-rules must both hold', [rule('ALL', [no], [rule('ANY', [yes])])], false],
    ['deep nesting', [rule('ALL', [], [rule('ANY', [], [rule('NONE', [], [rule('ALL', [no])])])])], true],
    ['every top-level rule must hold', [rule('ALL', [yes]), rule('ALL', [no])], false],
    ['a segment with no rules never matches', [], false],
    ['a rule with an empty sub-rule', [rule('ANY', [no], [rule('ALL', [])])], false],
  ])('%s → %s', async (_name, rules, expected) => {
    expect(await inSegmentBoth(rules, { t: 'y' })).toBe(expected);
  });

  test('outcomes known without an identity fold into constants', () => {
    const env = { key: 'k', name: 'n' };
    expect(compileSegment(segment(1, 's', [], []), env)).toBe(false);
    expect(compileSegment(segment(1, 's', [rule('ALL', [])], []), env)).toBe(true);
    expect(compileSegment(segment(1, 's', [rule('ALL', [c('REGEX', '(')])], []), env)).toBe(false);
    expect(compileSegment(segment(1, 's', [rule('NONE', [c('PERCENTAGE_SPLIT', '-1', null)])], []), env)).toBe(true);
    expect(typeof compileSegment(segment(1, 's', [rule('ANY', [c('REGEX', '('), yes])], []), env)).toBe('function');
  });
});

describe('condition properties', () => {
  test('identity and environment paths', async () => {
    expect(await meetsBoth(c('EQUAL', 'ada', '$.identity.identifier'), {}, 'ada')).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'ada', '$.identity.identifier'), {}, 'bob')).toBe(false);
    expect(await meetsBoth(c('EQUAL', 'env_key_ada', '$.identity.key'), {}, 'ada')).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'Test', '$.environment.name'))).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'env_key', '$.environment.key'))).toBe(true);
  });

  test('$.identity.traits paths read traits, in both notations, names with dots included', async () => {
    expect(await meetsBoth(c('EQUAL', 'x', '$.identity.traits.plan'), { plan: 'x' })).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'x', "$.identity.traits['plan']"), { plan: 'x' })).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'x', "$.identity.traits['a.b']"), { 'a.b': 'x' })).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'x', '$.identity.traits.a.b'), { 'a.b': 'x' })).toBe(true);
    expect(await meetsBoth(c('IS_SET', null, '$.identity.traits.plan'), {})).toBe(false);
  });

  test('a $. path that resolves to nothing, or to an object, reads the trait of that literal name', async () => {
    expect(await meetsBoth(c('EQUAL', 'x', '$.nowhere'), { '$.nowhere': 'x' })).toBe(true);
    expect(await meetsBoth(c('EQUAL', 'x', '$.identity.traits'), { '$.identity.traits': 'x' })).toBe(true);
    expect(await meetsBoth(c('IS_SET', null, '$.identity'), {})).toBe(false);
    expect(await meetsBoth(c('IS_SET', null, '$.environment'), { '$.environment': 1 })).toBe(true);
  });

  test('a trait key is read literally, dots and all', async () => {
    expect(await meetsBoth(c('EQUAL', 'x', 'a.b'), { 'a.b': 'x' })).toBe(true);
    expect(await meetsBoth(c('EQUAL', '1', 'identifier'), { identifier: 1 })).toBe(true);
  });

  test('a condition without a property never matches (percentage splits aside)', async () => {
    expect(await meetsBoth(c('EQUAL', 'x', null), { t: 'x' })).toBe(false);
    expect(await meetsBoth(c('IS_NOT_SET', null, ''), {})).toBe(false);
  });

  test('names plain objects inherit read the inherited member, as in Flagsmith', async () => {
    expect(await meetsBoth(c('IS_SET', null, 'constructor'), {})).toBe(true);
    expect(await meetsBoth(c('IS_NOT_SET', null, 'toString'), {})).toBe(false);
    expect(await meetsBoth(c('EQUAL', '5', 'constructor'), { constructor: 5 })).toBe(true);
    expect(await meetsBoth(c('REGEX', 'Object', '$.identity.traits.constructor'), {})).toBe(true);
    // A trait named __proto__ cannot be held: the property reads Object.prototype.
    const traits = Object.fromEntries([['__proto__', 'x']]) as Record<string, TraitValue>;
    expect(await meetsBoth(c('EQUAL', 'x', '__proto__'), traits)).toBe(false);
    expect(await meetsBoth(c('EQUAL', '[object Object]', '__proto__'), traits)).toBe(true);
  });
});

describe('percentage splits', () => {
  // Computed independently of the engine: md5 → integer → mod 9999 → /9998 → percent.
  const percentage = (text: string) => (Number(BigInt(`0x${createHash('md5').update(text).digest('hex')}`) % 9999n) / 9998) * 100;
  const split = (value: string, property: string | null = null) => c('PERCENTAGE_SPLIT', value, property);

  test('an identity is in when its hash of "<segment id>,<identity key>" is at or below the percentage', async () => {
    for (const identifier of ['ada', 'bob', 'cy', 'dee', 'eve', 'fay']) {
      const at = percentage(`7,env_key_${identifier}`);
      expect(await meetsBoth(split(String(at)), {}, identifier)).toBe(true);
      expect(await meetsBoth(split(String(at - 1e-9)), {}, identifier)).toBe(false);
    }
  });

  test('0 takes nobody (but an exact 0), 100 everybody; a negative or non-numeric value nobody', async () => {
    for (const identifier of ['a', 'b', 'c', 'd']) {
      expect(await meetsBoth(split('0'), {}, identifier)).toBe(percentage(`7,env_key_${identifier}`) === 0);
      expect(await meetsBoth(split('100'), {}, identifier)).toBe(true);
      expect(await meetsBoth(split('-5'), {}, identifier)).toBe(false);
      expect(await meetsBoth(split('half'), {}, identifier)).toBe(false);
    }
    expect(await meetsBoth(c('PERCENTAGE_SPLIT', null, null))).toBe(false);
  });

  test('with a property, the split hashes the context value that $. path names', async () => {
    const at = percentage('7,ada');
    expect(await meetsBoth(split(String(at), '$.identity.identifier'), {}, 'ada')).toBe(true);
    expect(await meetsBoth(split(String(at - 1e-9), '$.identity.identifier'), {}, 'ada')).toBe(false);
    const byAge = percentage('7,42');
    expect(await meetsBoth(split(String(byAge), '$.identity.traits.age'), { age: 42 })).toBe(true);
    expect(await meetsBoth(split(String(byAge - 1e-9), '$.identity.traits.age'), { age: 42 })).toBe(false);
  });

  test('a property naming no truthy value, or not a $. path, takes nobody', async () => {
    expect(await meetsBoth(split('100', '$.identity.traits.age'), { age: 0 })).toBe(false);
    expect(await meetsBoth(split('100', '$.identity.traits.age'), {})).toBe(false);
    expect(await meetsBoth(split('100', 'age'), { age: 42 })).toBe(false);
    expect(await meetsBoth(split('100', '$.nowhere'), {})).toBe(false);
  });

  test('a property naming an object hashes "[object Object]"', async () => {
    const at = percentage('7,[object Object]');
    expect(await meetsBoth(split(String(at), '$.identity.traits'), { a: 1 })).toBe(true);
    expect(await meetsBoth(split(String(at - 1e-9), '$.environment'))).toBe(false);
  });
});
