/**
 * `$.` paths, resolved without JSONPath, against jsonpath-plus (the library Flagsmith's engine queries
 * its evaluation context with) on a context shaped like the engine's.
 */
import { createRequire } from 'node:module';
import { contextPath, splitKey, type IdentityContext } from '../../service/engine/properties';
import type { TraitValue } from '../../service/schemas/environment-document';

// jsonpath-plus comes with flagsmith-nodejs: load the very copy its engine uses.
const { JSONPath } = createRequire(require.resolve('flagsmith-nodejs'))('jsonpath-plus') as {
  JSONPath: (options: { path: string; json: object }) => unknown[];
};

const traits: Record<string, TraitValue> = { age: 42, plan: 'pro', 'a.b': 'dotted', 'a b': 'spaced', zero: 0, empty: '', yes: true };
const identity: IdentityContext = { identifier: 'ada', key: 'env_key_ada', traits };
const environment = { key: 'env_key', name: 'Test' };
/** The evaluation context Flagsmith's engine queries (features and segments are not resolved by us). */
const context = { environment, features: {}, segments: {}, identity: { identifier: 'ada', key: 'env_key_ada', traits: { ...traits } } };

const resolvable = [
  '$.identity.identifier',
  '$.identity.key',
  '$.environment.name',
  '$.environment.key',
  '$.identity.traits.age',
  '$.identity.traits.zero',
  '$.identity.traits.empty',
  '$.identity.traits.yes',
  '$.identity.traits.a b',
  "$.identity.traits['a.b']",
  '$.identity.traits["a.b"]',
  '$.identity.traits[age]',
  "$.identity['identifier']",
  "$.environment['name']",
  '$.identity.traits.missing',
  '$.identity.traits.a.b',
  '$.identity.traits.constructor',
  '$.identity.traits.toString',
  '$.identity.identifier.length',
  '$.identity.key.0',
  '$.identity.traits.age.x',
  '$.identity.nothing',
  '$.nothing',
  '$.nothing.deeper',
  '$.environment.key.constructor',
];

test.each(resolvable)('%s resolves as JSONPath does', (path) => {
  const resolve = contextPath(path, environment);
  expect(resolve).toBeDefined();
  expect(resolve!(identity)).toBe(JSONPath({ path, json: context })[0]);
});

test.each(['$.identity', '$.identity.traits', '$.environment', '$.features', '$.segments'])('%s is an object, as in JSONPath', (path) => {
  expect(typeof contextPath(path, environment)!(identity)).toBe('object');
  expect(typeof JSONPath({ path, json: context })[0]).toBe('object');
});

test.each([
  '$..identifier',
  '$.identity.*',
  '$.identity.traits[age,plan]',
  '$.identity.traits[?(@ > 1)]',
  '$.features.f.enabled',
  '$.identity.traits.',
  "$.identity.traits['a~b']",
])('%s is JSONPath we do not resolve', (path) => {
  expect(contextPath(path, environment)).toBeUndefined();
});

test('a percentage split keys on the identity key, a $. path, or nothing', () => {
  expect(splitKey(null, environment)!(identity)).toBe('env_key_ada');
  expect(splitKey('', environment)!(identity)).toBe('env_key_ada');
  expect(splitKey('$.identity.traits.age', environment)!(identity)).toBe(42);
  expect(splitKey('age', environment)).toBeUndefined();
});
