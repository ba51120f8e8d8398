/**
 * Differential test: our engine against Flagsmith's own (flagsmith-nodejs 8.1.2, evaluating offline
 * from the same document) on hundreds of generated environments and thousands of identities. Every
 * flag's enabled state, value, feature id and reason must be identical.
 *
 * The generator draws from small pools so that conditions often meet traits they can match, overrides
 * collide on priorities, identities share identical overrides, segment ids repeat or pass 2^32 - 2,
 * and identifiers hold commas; it steers clear only of the oracle's known defects (see the end).
 */
import fc from 'fast-check';
import { compileEnvironment, evaluateEnvironmentFlags, evaluateIdentityFlags } from '../../service/engine';
import type {
  DocumentFeatureState,
  DocumentIdentityOverride,
  EnvironmentDocument,
  MultivariateFeatureStateValue,
  SegmentCondition,
  SegmentRule,
  TraitValue,
} from '../../service/schemas/environment-document';
import { CONDITION_OPERATORS } from '../../service/schemas/environment-document';
import { condition, documentWith, rule, segment, state } from './build-document';
import { byName, oracle } from './oracle';

const RUNS = Number(process.env.FLAGSTACK_DIFFERENTIAL_RUNS ?? 1000);
const SEED = Number(process.env.FLAGSTACK_DIFFERENTIAL_SEED ?? 20261124);

const IDENTIFIERS = ['alice', 'bob', 'carol', 'a', 'b', 'a,b', '["bob"]', 'user-1', 'ünï'];
const FEATURE_NAMES = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6', '10', '2', 'a b', 'ünï'];

const flagValue = fc.oneof(
  fc.constantFrom('on', 'off', 'blue', ''),
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom(0.5, 1.25, -3.5),
  fc.boolean(),
  fc.constantFrom(null, undefined),
);

const anyTraitValue: fc.Arbitrary<TraitValue> = fc.oneof(
  fc.constantFrom(0, 1, 10, 17, 50, 100, -3, 1e21, 0.5, 17.5),
  fc.constantFrom('pro', 'alice@acme.com', '1.2.3', '10', '17.5', 'true', 'False', '', 'Test', 'o'),
  fc.boolean(),
);
/** Trait keys, each with values of the kinds conditions on it tend to test (and, sometimes, of any kind). */
const TRAITS: Record<string, fc.Arbitrary<TraitValue>> = {
  age: fc.constantFrom<TraitValue>(0, 1, 10, 17, 18, 50, 100, -3, 17.5, 0.5, 1e21, '17', '18.0'),
  plan: fc.constantFrom('pro', 'free', 'enterprise', 'Pro', ''),
  version: fc.constantFrom<TraitValue>('1.2.3', '2.0.0', '1.10.0', '0.9.0', '1.2.3-beta', 'v1.2.3', '1.2.3+build', 'bad', 2),
  email: fc.constantFrom('alice@acme.com', 'bob@beta.io', 'native', 'o'),
  beta: fc.constantFrom<TraitValue>(true, false, 'true', 'False'),
  'a.b': anyTraitValue,
  constructor: anyTraitValue,
  ['__proto__']: anyTraitValue, // computed: an own key, not the prototype
};
const TRAIT_KEYS = Object.keys(TRAITS);
const traitEntry = fc.constantFrom(...TRAIT_KEYS).chain((key) => TRAITS[key].map((value) => [key, value] as const));

/** Condition properties and values by theme, so that conditions often meet traits they can match. */
interface Theme {
  properties: ReadonlyArray<string | null>;
  /** For EQUAL, the orderings, CONTAINS and the like. */
  comparisons: ReadonlyArray<string | null | undefined>;
  lists: readonly string[];
  patterns: readonly string[];
  modulos?: readonly string[];
}
const THEMES: Theme[] = [
  {
    properties: ['age', "$.identity.traits['age']"],
    comparisons: ['0', '10', '17', '18', '17.5', '50', '100', '-3', 'x'],
    lists: ['10,17,18,50', '0,1', '[17,18]', '["17","18"]'],
    patterns: ['^\\d+$', '^1', '7$'],
    modulos: ['2|0', '2|1', '3|1', '5|0', '0.5|0', '2', '0|0', 'a|b', '2|0|1'],
  },
  {
    properties: ['plan', '$.identity.traits.plan'],
    comparisons: ['pro', 'free', 'enterprise', 'Pro', 'p', '', 'e'],
    lists: ['pro,enterprise', 'free', '["pro","free"]', 'pro, free', ''],
    patterns: ['^pro$', '^p', '(bad', 'e'],
  },
  {
    properties: ['version'],
    comparisons: ['1.2.3:semver', '1.10.0:semver', '2.0.0:semver', '0.9.0:semver', '1.2.3-beta:semver', 'bad:semver', '1.2.3'],
    lists: ['1.2.3,2.0.0', '1.2.3:semver'],
    patterns: ['^1\\.', '^v'],
  },
  {
    properties: ['email', 'a.b', "$.identity.traits['a.b']", '$.identity.traits.a.b'],
    comparisons: ['@acme.', 'alice', 'native', 'o'],
    lists: ['alice@acme.com,bob', 'native'],
    patterns: ['@acme\\.', '^[a-z]+@', 'native'],
  },
  { properties: ['beta'], comparisons: ['true', 'false', 'False', 'yes'], lists: ['true', 'True,False'], patterns: ['^t', 'e$'] },
  {
    properties: [
      'constructor',
      '__proto__',
      'toString',
      '$.identity.identifier',
      '$.identity.key',
      '$.identity.key.0',
      '$.environment.name',
      '$.environment.key',
      '$.identity.traits.constructor',
      "$.identity['identifier']",
      "$.environment['name']",
      '$.identity.traits["beta"]',
      '$.identity.traits[plan]',
      '$.identity.traits',
      '$.identity',
      '$.environment',
      '$.features',
      '$.nowhere',
      null,
      '',
    ],
    comparisons: ['Test', 'pro', 'env_a', 'Kq3xY', 'alice', 'a', 'e', 'env_a_alice', 'K', '[object Object]', null, undefined],
    lists: ['alice,bob', 'Test,pro', 'a,b', 'K'],
    patterns: ['^a', '^env_a_', '(bad', 'native', 'Object'],
  },
];

function themedValues(operator: string, theme: Theme): ReadonlyArray<string | null | undefined> {
  switch (operator) {
    case 'IN':
      return theme.lists;
    case 'REGEX':
      return theme.patterns;
    case 'MODULO':
      return theme.modulos ?? ['2|0', '0|0', 'a|b'];
    case 'IS_SET':
    case 'IS_NOT_SET':
      return [null, undefined, '', 'x'];
    default:
      return theme.comparisons;
  }
}

const splitCondition = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '$.identity.identifier',
          '$.identity.key',
          '$.identity.traits.age',
          '$.identity.traits["age"]',
          "$.identity['identifier']",
          '$.identity.traits.plan',
          '$.identity.traits.a.b',
          '$.identity.traits',
          '$.environment.name',
          'age',
          '$.nowhere',
        ),
      },
    ),
    fc.oneof(fc.integer({ min: 0, max: 100 }).map(String), fc.constantFrom('33.3', '66.6', '-1', 'abc', null)),
  )
  .map(([property, value]) => condition('PERCENTAGE_SPLIT', value, property));

const conditionArbitrary: fc.Arbitrary<SegmentCondition> = fc
  .constantFrom(...CONDITION_OPERATORS, 'BOGUS' as SegmentCondition['operator'])
  .chain((operator) =>
    operator === 'PERCENTAGE_SPLIT'
      ? splitCondition
      : fc
          .constantFrom(...THEMES)
          .chain((theme) => fc.tuple(fc.constantFrom(...theme.properties), fc.constantFrom(...themedValues(operator, theme))))
          .map(([property, value]) => condition(operator, value, property)),
  );

const ruleAt = (depth: number): fc.Arbitrary<SegmentRule> =>
  fc
    .tuple(
      fc.constantFrom('ALL', 'ANY', 'NONE'),
      fc.array(conditionArbitrary, { maxLength: 3 }),
      depth > 1 ? fc.array(ruleAt(depth - 1), { maxLength: 2 }) : fc.constant<SegmentRule[]>([]),
    )
    .map(([type, conditions, rules]) => rule(type as SegmentRule['type'], conditions, rules));

/** Document-wide unique keys for feature states and allocations. */
let nextKey = 1;
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** 0 to 4 allocations, ids out of order or missing (then ordered by uuid), weights adding up to anything. */
const allocationsArbitrary: fc.Arbitrary<MultivariateFeatureStateValue[]> = fc
  .array(
    fc.tuple(
      fc.option(fc.integer({ min: 1000, max: 1010 }), { nil: null }),
      flagValue,
      fc.constantFrom(0, 10, 12.5, 20, 25, 33.3, 50, 100),
    ),
    { maxLength: 4 },
  )
  .map((variants) =>
    variants.map(([id, value, weight]) => ({
      id,
      multivariate_feature_option: { id: nextKey++, value: value ?? null },
      percentage_allocation: weight,
      mv_fs_value_uuid: uuid(nextKey++),
    })),
  );

interface Feature {
  id: number;
  name: string;
}

const featureStateArbitrary = (feature: Feature, priority: fc.Arbitrary<number | null | undefined>): fc.Arbitrary<DocumentFeatureState> =>
  fc
    .record({
      enabled: fc.boolean(),
      value: flagValue,
      allocations: fc.oneof(fc.constant<MultivariateFeatureStateValue[]>([]), allocationsArbitrary),
      keyless: fc.boolean(),
      priority,
    })
    .map(({ enabled, value, allocations, keyless, priority }) => {
      const key = nextKey++;
      return state(feature.id, feature.name, value, {
        feature: { id: feature.id, name: feature.name, type: allocations.length > 0 ? 'MULTIVARIATE' : 'STANDARD' },
        enabled,
        // Some states have only their uuid for a key.
        django_id: keyless && key % 3 === 0 ? null : key,
        featurestate_uuid: uuid(key),
        feature_segment: priority === undefined ? null : priority === null ? undefined : { priority },
        multivariate_feature_state_values: allocations,
      });
    });

/** Identity overrides from tiny pools, so that identities often share identical overrides. */
const identityOverrideArbitrary = (features: Feature[]): fc.Arbitrary<DocumentIdentityOverride> =>
  fc
    .record({
      identifier: fc.constantFrom(...IDENTIFIERS),
      overrides: fc
        .subarray(features, { minLength: 0 })
        .chain((subset) =>
          fc.tuple(...subset.map((feature) => fc.tuple(fc.constant(feature), fc.boolean(), fc.constantFrom('x', 'y'), fc.boolean()))),
        ),
    })
    .map(({ identifier, overrides }) => ({
      identifier,
      identity_features: overrides.map(([feature, enabled, value, split]) =>
        state(feature.id, feature.name, value, {
          enabled,
          django_id: nextKey++,
          featurestate_uuid: uuid(nextKey++),
          multivariate_feature_state_values: split
            ? [{ id: 7, multivariate_feature_option: { id: 8, value: 'v' }, percentage_allocation: 50 }]
            : [],
        }),
      ),
    }));

const documentArbitrary: fc.Arbitrary<EnvironmentDocument> = fc
  .record({
    apiKey: fc.constantFrom('env_a', 'Kq3xY'),
    name: fc.constantFrom('Test', 'pro'),
    names: fc.shuffledSubarray(FEATURE_NAMES, { minLength: 1, maxLength: 7 }),
    // Occasionally a second feature state under an existing name (another feature id).
    duplicate: fc.boolean(),
    segmentIds: fc.array(fc.constantFrom(1, 2, 3, 7, 12, 60, 4294967294, 4294967295, 5000000000), { maxLength: 6 }),
  })
  .chain(({ apiKey, name, names, duplicate, segmentIds }) => {
    const features: Feature[] = names.map((featureName, i) => ({ id: i + 1, name: featureName }));
    const stateFeatures = duplicate ? [...features, { id: 99, name: names[0] }] : features;
    const overridable = [...features, { id: 98, name: 'ghost' }];
    const priority = fc.constantFrom<number | null | undefined>(-1, 0, 0, 1, 1, 2, 3, null, undefined);
    return fc.record({
      apiKey: fc.constant(apiKey),
      name: fc.constant(name),
      defaults: fc.tuple(...stateFeatures.map((feature) => featureStateArbitrary(feature, fc.constant(undefined)))),
      segments: fc.tuple(
        ...segmentIds.map((id, i) =>
          fc.record({
            id: fc.constant(id),
            name: fc.constant(`segment_${i}`),
            rules: fc.array(ruleAt(3), { maxLength: 3 }),
            overrides: fc
              .subarray(overridable)
              .chain((subset) => fc.tuple(...subset.map((feature) => featureStateArbitrary(feature, priority)))),
          }),
        ),
      ),
      identityOverrides: fc.array(identityOverrideArbitrary(features), { maxLength: 5 }),
    });
  })
  .map(({ apiKey, name, defaults, segments, identityOverrides }) =>
    documentWith({
      api_key: apiKey,
      name,
      feature_states: defaults,
      segments: segments.map((s) => segment(s.id, s.name, s.rules, s.overrides)),
      identity_overrides: identityOverrides,
    }),
  );

const identityArbitrary = fc.record({
  identifier: fc.oneof(
    fc.constantFrom(...IDENTIFIERS),
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), // any code points, lone surrogates included
  ),
  // Built like the service builds them (Object.fromEntries), so `__proto__` is an own key.
  traits: fc.array(traitEntry, { minLength: 1, maxLength: 8 }).map((entries) => Object.fromEntries(entries) as Record<string, TraitValue>),
});

test(`identity and environment flags equal Flagsmith's engine on ${RUNS} generated environments`, async () => {
  let comparisons = 0;
  const reasons = new Set<string>();
  await fc.assert(
    fc.asyncProperty(documentArbitrary, fc.array(identityArbitrary, { minLength: 1, maxLength: 10 }), async (generated, identities) => {
      // Both engines read the same JSON.
      const document: EnvironmentDocument = JSON.parse(JSON.stringify(generated));
      const theirs = oracle(document);
      const env = compileEnvironment(document);

      const environmentFlags = evaluateEnvironmentFlags(env);
      expect(byName(environmentFlags)).toEqual(await theirs.environmentFlags());
      const documentOrder = [...new Set(document.feature_states.map((s) => s.feature.name))];
      expect(environmentFlags.map((flag) => flag.featureName)).toEqual(documentOrder);

      for (const { identifier, traits } of identities) {
        const ours = evaluateIdentityFlags(env, identifier, traits);
        expect({ identifier, traits, flags: byName(ours) }).toEqual({
          identifier,
          traits,
          flags: await theirs.identityFlags(identifier, traits),
        });
        expect(ours.map((flag) => flag.featureName)).toEqual(documentOrder);
        for (const flag of ours) reasons.add(flag.reason.replace(/segment_\d+/, 'segment_N').replace(/weight=.*/, 'weight=W'));
        comparisons++;
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  // The generator must reach every kind of outcome, or the comparison proves little.
  expect([...reasons].sort()).toEqual([
    'DEFAULT',
    'SPLIT; weight=W',
    'TARGETING_MATCH; segment=identity_overrides',
    'TARGETING_MATCH; segment=segment_N',
  ]);
  expect(comparisons).toBeGreaterThan(RUNS * 3);
});

/**
 * Where we knowingly differ from flagsmith-nodejs 8.1.2, each with its smallest example. The generator
 * above avoids these inputs.
 */
describe('known differences from the oracle', () => {
  test('a feature named like a member plain objects inherit crashes the oracle; we evaluate it', async () => {
    const document = documentWith({ feature_states: [state(1, 'constructor', 'x')] });
    await expect(oracle(document).identityFlags('a', {})).rejects.toThrow();
    expect(evaluateIdentityFlags(compileEnvironment(document), 'a', {}).map((f) => f.value)).toEqual(['x']);
  });

  test('JSONPath other than plain steps into the identity and the environment is not resolved: the literal trait is read', async () => {
    // The oracle runs jsonpath-plus over its whole evaluation context, features included.
    const document = documentWith({
      segments: [
        segment(
          1,
          's',
          [rule('ALL', [condition('EQUAL', 'true', '$.features.f.enabled')])],
          [state(1, 'f', 'on', { feature_segment: { priority: 0 } })],
        ),
      ],
    });
    expect((await oracle(document).identityFlags('a', {})).f.value).toBe('on');
    expect(evaluateIdentityFlags(compileEnvironment(document), 'a', {})[0].value).toBe('off');
    expect(evaluateIdentityFlags(compileEnvironment(document), 'a', { '$.features.f.enabled': true })[0].value).toBe('on');
  });

  test('flags come in document order; the oracle puts integer-like names first', async () => {
    const document = documentWith({ feature_states: [state(1, 'b', 'x'), state(2, '10', 'y')] });
    const theirs = (await oracle(document).flagsmith.getEnvironmentFlags()).allFlags();
    expect(theirs.map((f) => f.featureName)).toEqual(['10', 'b']);
    expect(evaluateEnvironmentFlags(compileEnvironment(document)).map((f) => f.featureName)).toEqual(['b', '10']);
  });

  // Not shown, as the oracle is not deterministic there: a feature state with neither django_id nor
  // featurestate_uuid, or an allocation with neither id nor mv_fs_value_uuid, gets a random uuid in
  // the oracle (so its splits change from one load to the next); we hash with '' and put such
  // allocations last.
});
