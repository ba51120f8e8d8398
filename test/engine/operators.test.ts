/**
 * Each operator and its edge cases, with expectations worked out by hand from Flagsmith's rules: the
 * condition's value is cast to the trait value's type (boolean: anything but 'False'/'false' is true;
 * number: parseFloat; otherwise text), then compared with JavaScript's loose operators.
 */
import type { SegmentCondition, TraitValue } from '../../service/schemas/environment-document';
import { compileOperator, inListMembers } from '../../service/engine/operators';
import { condition as c, meets, rule, segmentDocument } from './build-document';
import { oracle } from './oracle';

type Case = [name: string, condition: SegmentCondition, trait: TraitValue | undefined, expected: boolean];

const cases: Case[] = [
  // EQUAL / NOT_EQUAL
  ['EQUAL string', c('EQUAL', 'pro'), 'pro', true],
  ['EQUAL string, case differs', c('EQUAL', 'pro'), 'Pro', false],
  ['EQUAL integer', c('EQUAL', '21'), 21, true],
  ['EQUAL float text vs integer', c('EQUAL', '21.0'), 21, true],
  ['EQUAL float', c('EQUAL', '0.5'), 0.5, true],
  ['EQUAL numeric prefix is parsed (parseFloat)', c('EQUAL', '21abc'), 21, true],
  ['EQUAL number trait, non-numeric value (NaN)', c('EQUAL', 'abc'), 5, false],
  ['EQUAL string trait keeps text: "21.0" is not "21"', c('EQUAL', '21.0'), '21', false],
  ['EQUAL boolean true', c('EQUAL', 'true'), true, true],
  ['EQUAL boolean: anything but False/false is true', c('EQUAL', 'yes'), true, true],
  ['EQUAL boolean: "FALSE" is true', c('EQUAL', 'FALSE'), false, false],
  ['EQUAL boolean false', c('EQUAL', 'False'), false, true],
  ['EQUAL boolean false, lower case', c('EQUAL', 'false'), false, true],
  ['EQUAL string trait "true" vs value "true"', c('EQUAL', 'true'), 'true', true],
  ['EQUAL with no value compares with "undefined"', c('EQUAL', undefined), 'undefined', true],
  ['EQUAL with a null value compares with "null"', c('EQUAL', null), 'null', true],
  ['EQUAL with a null value and a boolean trait: null casts to true', c('EQUAL', null), true, true],
  ['NOT_EQUAL', c('NOT_EQUAL', 'free'), 'pro', true],
  ['NOT_EQUAL same number', c('NOT_EQUAL', '3'), 3, false],
  ['NOT_EQUAL NaN never equals', c('NOT_EQUAL', 'x'), 3, true],
  ['NOT_EQUAL on a missing trait never matches', c('NOT_EQUAL', 'free'), undefined, false],
  // Orderings
  ['GREATER_THAN numbers', c('GREATER_THAN', '18'), 19, true],
  ['GREATER_THAN equal', c('GREATER_THAN', '18'), 18, false],
  ['GREATER_THAN float', c('GREATER_THAN', '1.5'), 1.6, true],
  ['GREATER_THAN negative', c('GREATER_THAN', '-2'), -1, true],
  ['GREATER_THAN strings compare as text', c('GREATER_THAN', '10'), '9', true],
  ['GREATER_THAN booleans compare as numbers', c('GREATER_THAN', 'false'), true, true],
  ['GREATER_THAN number trait, non-numeric value', c('GREATER_THAN', 'abc'), 5, false],
  ['GREATER_THAN_INCLUSIVE equal', c('GREATER_THAN_INCLUSIVE', '18'), 18, true],
  ['GREATER_THAN_INCLUSIVE below', c('GREATER_THAN_INCLUSIVE', '18'), 17.9, false],
  ['LESS_THAN', c('LESS_THAN', '18'), 17, true],
  ['LESS_THAN equal', c('LESS_THAN', '18'), 18, false],
  ['LESS_THAN strings compare as text', c('LESS_THAN', 'b'), 'abc', true],
  ['LESS_THAN_INCLUSIVE equal', c('LESS_THAN_INCLUSIVE', '18'), 18, true],
  ['LESS_THAN_INCLUSIVE above', c('LESS_THAN_INCLUSIVE', '18'), 18.5, false],
  // CONTAINS / NOT_CONTAINS
  ['CONTAINS', c('CONTAINS', '@acme.'), 'ann@acme.com', true],
  ['CONTAINS absent', c('CONTAINS', '@acme.'), 'ann@other.com', false],
  ['CONTAINS on a number trait is false', c('CONTAINS', '1'), 123, false],
  ['CONTAINS on a boolean trait is false', c('CONTAINS', 'true'), true, false],
  ['CONTAINS on an empty trait is false', c('CONTAINS', ''), '', false],
  ['CONTAINS an empty value', c('CONTAINS', ''), 'x', true],
  ['NOT_CONTAINS', c('NOT_CONTAINS', '@acme.'), 'ann@other.com', true],
  ['NOT_CONTAINS present', c('NOT_CONTAINS', '@acme.'), 'ann@acme.com', false],
  ['NOT_CONTAINS on a number trait is false', c('NOT_CONTAINS', '1'), 5, false],
  ['NOT_CONTAINS with an empty value is false', c('NOT_CONTAINS', ''), 'x', false],
  ['NOT_CONTAINS on an empty trait', c('NOT_CONTAINS', 'a'), '', true],
  // REGEX
  ['REGEX', c('REGEX', '^[a-z]+-\\d+$'), 'user-42', true],
  ['REGEX no match', c('REGEX', '^[a-z]+$'), 'user-42', false],
  ['REGEX is unanchored', c('REGEX', 'er'), 'user', true],
  ['REGEX on a number trait uses its text', c('REGEX', '^4\\d$'), 42, true],
  ['REGEX on a boolean trait uses its text', c('REGEX', '^true$'), true, true],
  ['REGEX invalid pattern never matches', c('REGEX', '(unclosed'), '(unclosed', false],
  ['REGEX empty pattern never matches', c('REGEX', ''), 'x', false],
  // IN
  ['IN comma list', c('IN', 'pro,enterprise'), 'enterprise', true],
  ['IN is exact per item (spaces count)', c('IN', 'pro, enterprise'), 'enterprise', false],
  ['IN with the space', c('IN', 'pro, enterprise'), ' enterprise', true],
  ['IN JSON list', c('IN', '["pro","enterprise"]'), 'pro', true],
  ['IN JSON list is not split by commas', c('IN', '["a,b"]'), 'a', false],
  ['IN JSON list of numbers matches no text', c('IN', '[1,2]'), 1, false],
  ['IN JSON that is not a list is split', c('IN', '"x"'), '"x"', true],
  ['IN number trait matched as text', c('IN', '1,2,3'), 2, true],
  ['IN float trait as text', c('IN', '1.5'), 1.5, true],
  ['IN boolean trait is false', c('IN', 'true'), true, false],
  ['IN empty string trait is false', c('IN', ',a'), '', false],
  ['IN zero trait is false (falsy)', c('IN', '0,1'), 0, false],
  ['IN without a value is false', c('IN', null), 'x', false],
  // MODULO
  ['MODULO', c('MODULO', '2|0'), 4, true],
  ['MODULO remainder', c('MODULO', '3|1'), 7, true],
  ['MODULO wrong remainder', c('MODULO', '3|1'), 8, false],
  ['MODULO float', c('MODULO', '0.5|0'), 1.5, true],
  ['MODULO negative trait keeps its sign', c('MODULO', '3|-1'), -7, true],
  ['MODULO numeric string trait', c('MODULO', '2|0'), '10', true],
  ['MODULO malformed value', c('MODULO', '2'), 4, false],
  ['MODULO three parts', c('MODULO', '2|0|1'), 4, false],
  ['MODULO non-numeric parts', c('MODULO', 'a|b'), 4, false],
  ['MODULO divisor zero', c('MODULO', '0|0'), 4, false],
  ['MODULO non-numeric trait', c('MODULO', '2|0'), 'abc', false],
  ['MODULO boolean trait', c('MODULO', '2|1'), true, false],
  // IS_SET / IS_NOT_SET
  ['IS_SET', c('IS_SET', null), 'x', true],
  ['IS_SET falsy values are set', c('IS_SET', null), 0, true],
  ['IS_SET missing', c('IS_SET', null), undefined, false],
  ['IS_NOT_SET missing', c('IS_NOT_SET', null), undefined, true],
  ['IS_NOT_SET present', c('IS_NOT_SET', null), false, false],
  // semver
  ['semver GREATER_THAN', c('GREATER_THAN', '1.2.3:semver'), '1.10.0', true],
  ['semver GREATER_THAN equal', c('GREATER_THAN', '1.2.3:semver'), '1.2.3', false],
  ['semver EQUAL', c('EQUAL', '1.2.3:semver'), '1.2.3', true],
  ['semver EQUAL ignores build metadata', c('EQUAL', '1.2.3:semver'), '1.2.3+build.5', true],
  ['semver pre-release is lower', c('LESS_THAN', '1.2.3:semver'), '1.2.3-beta', true],
  ['semver GREATER_THAN_INCLUSIVE', c('GREATER_THAN_INCLUSIVE', '1.2.3:semver'), '1.2.3', true],
  ['semver LESS_THAN_INCLUSIVE', c('LESS_THAN_INCLUSIVE', '2.0.0:semver'), '2.0.0', true],
  ['semver with an invalid trait is false', c('GREATER_THAN', '1.0.0:semver'), 'not-a-version', false],
  ['semver with a number trait is false', c('GREATER_THAN', '1.0.0:semver'), 2, false],
  ['semver with an invalid condition version is false', c('LESS_THAN', 'x.y:semver'), '1.0.0', false],
  ['semver NOT_EQUAL compares text', c('NOT_EQUAL', '1.2.3:semver'), '1.2.4', true],
  ['semver NOT_EQUAL: "1.2.3+b" is other text', c('NOT_EQUAL', '1.2.3:semver'), '1.2.3+b', true],
  ['semver CONTAINS compares text', c('CONTAINS', '1.2:semver'), 'v1.2.9', true],
  ['semver IN keeps the suffix', c('IN', '1.2.3:semver'), '1.2.3:semver', true],
  ['":semver" counts only as a suffix (else text: "2" > "1...")', c('GREATER_THAN', '1.0.0:semver '), '2', true],
  ['semver suffix removed once', c('EQUAL', '1.0.0:semver:semver'), '1.0.0:semver', false],
  // Unknown operators never match.
  ['unknown operator', { operator: 'BETWEEN' as SegmentCondition['operator'], property_: 't', value: 'x' }, 'x', false],
];

describe.each(cases)('%s', (_name, condition, trait, expected) => {
  test(`→ ${expected} (and so says Flagsmith's engine)`, async () => {
    const traits: Record<string, TraitValue> = trait === undefined ? {} : { t: trait };
    expect(meets(condition, traits)).toBe(expected);
    const theirs = await oracle(segmentDocument([rule('ALL', [condition])])).identityFlags('someone', traits);
    expect(theirs.f.value === 'on').toBe(expected);
  });
});

describe('compiled operators', () => {
  test('a condition that can never match compiles to nothing', () => {
    expect(compileOperator('REGEX', '(')).toBeUndefined();
    expect(compileOperator('MODULO', '2')).toBeUndefined();
    expect(compileOperator('EQUAL_ISH', 'x')).toBeUndefined();
    expect(compileOperator('GREATER_THAN', 'nope:semver')).toBeUndefined();
    expect(compileOperator('IN', undefined)).toBeUndefined();
  });

  test('IN lists', () => {
    expect([...inListMembers('a,b, c')]).toEqual(['a', 'b', ' c']);
    expect([...inListMembers('["a", "b,c", 3]')]).toEqual(['a', 'b,c']);
    expect([...inListMembers('{"a":1}')]).toEqual(['{"a":1}']);
  });

  test('a value inherited by plain objects is compared as Flagsmith does (by loose coercion)', () => {
    // Flagsmith reads traits from a plain object, so a property named `constructor` reads `Object`.
    const equal = compileOperator('EQUAL', String(Object))!;
    expect(equal(Object)).toBe(true);
    expect(compileOperator('CONTAINS', 'function')!(Object)).toBe(false);
    expect(compileOperator('REGEX', 'native code')!(Object)).toBe(true);
  });
});
