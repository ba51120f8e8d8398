/**
 * Differential test: our engine against Flagsmith's own (inside the published flagsmith-nodejs SDK,
 * evaluating offline from the same document) on hundreds of generated environments and identities.
 * Every flag's enabled state, value, feature id and reason must be identical.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { compileEnvironment, evaluateEnvironmentFlags, evaluateIdentityFlags } from '../../service/engine';
import type {
  DocumentFeatureState,
  EnvironmentDocument,
  SegmentCondition,
  SegmentRule,
  TraitValue,
} from '../../service/schemas/environment-document';
import { CONDITION_OPERATORS } from '../../service/schemas/environment-document';

const RUNS = Number(process.env.FLAGSTACK_DIFFERENTIAL_RUNS ?? 500);
const SEED = Number(process.env.FLAGSTACK_DIFFERENTIAL_SEED ?? 20261124);

// Few trait keys and values, so that generated conditions often meet traits they can match.
const TRAIT_KEYS = ['age', 'plan', 'beta', 'version'];
const IDENTIFIERS = ['alice', 'bob', 'carol', 'dave', 'user-1', 'user-2', 'user-3', 'x'];

const flagValue = fc.oneof(
  fc.constantFrom('on', 'off', 'blue', ''),
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom(0.5, 1.25, -3.5),
  fc.boolean(),
  fc.constant(null),
);

const traitValue: fc.Arbitrary<TraitValue> = fc.oneof(
  fc.constantFrom(0, 10, 17, 50, 100),
  fc.constantFrom(0.5, 17.5, 99.9),
  fc.constantFrom('pro', 'free', 'enterprise', 'alice@acme.com', 'bob@beta.io', '1.2.3', '2.0.0', '10', 'true', 'False', ''),
  fc.boolean(),
);

const conditionValue = (operator: string): fc.Arbitrary<string | null> => {
  switch (operator) {
    case 'PERCENTAGE_SPLIT':
      return fc.oneof(fc.integer({ min: 0, max: 100 }).map(String), fc.constantFrom('33.3', '66.6'));
    case 'MODULO':
      return fc.constantFrom('2|0', '3|1', '5|0', '2', '0|0', 'a|b');
    case 'IN':
      return fc.constantFrom('pro,enterprise', 'free', '["pro","free"]', '1,2,10,50', 'alice,bob', 'true');
    case 'REGEX':
      return fc.constantFrom('^a', '.*@acme\\..*', '^\\d+$', '(bad', 'o');
    case 'IS_SET':
    case 'IS_NOT_SET':
      return fc.constantFrom(null, '');
    default:
      return fc.oneof(
        fc.constantFrom('0', '10', '17.5', '50', '100'),
        fc.constantFrom('true', 'false', 'False', 'yes'),
        fc.constantFrom('pro', 'free', '1.2.3:semver', '2.0.0:semver', '@acme.', 'alice', 'Test', '10'),
      );
  }
};

const condition: fc.Arbitrary<SegmentCondition> = fc
  .constantFrom(...CONDITION_OPERATORS)
  .chain((operator) =>
    fc.record({
      operator: fc.constant(operator),
      property_:
        operator === 'PERCENTAGE_SPLIT'
          ? fc.constantFrom(null, null, '$.identity.identifier', 'age')
          : fc.constantFrom(...TRAIT_KEYS, '$.identity.identifier', '$.environment.name', '$.identity.traits.plan', null),
      value: conditionValue(operator),
    }),
  );

const ruleAt = (depth: number): fc.Arbitrary<SegmentRule> =>
  fc.record({
    type: fc.constantFrom('ALL', 'ANY', 'NONE'),
    conditions: fc.array(condition, { maxLength: 3 }),
    rules: depth > 1 ? fc.array(ruleAt(depth - 1), { maxLength: 2 }) : fc.constant([]),
  }) as fc.Arbitrary<SegmentRule>;

/** Allocations whose weights add up to at most 100. */
const allocations = fc
  .array(fc.constantFrom(10, 20, 25, 33.3, 50), { maxLength: 3 })
  .map((weights) => weights.filter((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0) <= 100));

interface Feature {
  id: number;
  name: string;
}

let nextId = 1;
const featureState = (feature: Feature, priority?: number): fc.Arbitrary<DocumentFeatureState> =>
  fc.record({ enabled: fc.boolean(), value: flagValue, weights: allocations, optionValues: fc.array(flagValue, { minLength: 3, maxLength: 3 }) }).map(
    ({ enabled, value, weights, optionValues }) => {
      const id = nextId++;
      return {
        feature: { id: feature.id, name: feature.name, type: weights.length ? 'MULTIVARIATE' : 'STANDARD' },
        enabled,
        django_id: id,
        feature_state_value: value,
        featurestate_uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
        feature_segment: priority === undefined ? null : { priority },
        // Allocation ids deliberately out of document order: the engine must sort by id.
        multivariate_feature_state_values: weights.map((weight, i) => ({
          id: 1000 + ((id * 7 + i * 13) % 97),
          multivariate_feature_option: { id: 500 + i, value: optionValues[i] },
          percentage_allocation: weight,
        })),
      };
    },
  );

const documentArbitrary: fc.Arbitrary<EnvironmentDocument> = fc
  .record({
    apiKey: fc.constantFrom('env_a', 'env_b', 'Kq3xY'),
    featureCount: fc.integer({ min: 1, max: 6 }),
    segmentIds: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 5 }),
  })
  .chain(({ apiKey, featureCount, segmentIds }) => {
    const features: Feature[] = Array.from({ length: featureCount }, (_, i) => ({ id: i + 1, name: `feature_${i + 1}` }));
    const featureSubset = fc.subarray(features);
    return fc.record({
      apiKey: fc.constant(apiKey),
      defaults: fc.tuple(...features.map((f) => featureState(f))),
      segments: fc.tuple(
        ...segmentIds.map((id) =>
          fc.record({
            id: fc.constant(id),
            rules: fc.array(ruleAt(3), { maxLength: 2 }),
            overrides: featureSubset.chain((subset) =>
              fc.tuple(...subset.map((f) => fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }).chain((p) => featureState(f, p)))),
            ),
          }),
        ),
      ),
      identityOverrides: fc.uniqueArray(fc.constantFrom(...IDENTIFIERS), { maxLength: 3 }).chain((identifiers) =>
        fc.tuple(...identifiers.map((identifier) => featureSubset.chain((subset) => fc.tuple(fc.constant(identifier), fc.tuple(...subset.map((f) => featureState(f))))))),
      ),
      serverOnly: featureSubset,
    });
  })
  .map(({ apiKey, defaults, segments, identityOverrides, serverOnly }) => ({
    id: 1,
    api_key: apiKey,
    name: 'Test',
    project: {
      id: 1,
      name: 'p',
      organisation: { id: 1, name: 'o', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      server_key_only_feature_ids: serverOnly.map((f) => f.id),
      segments: segments.map((s) => ({ id: s.id, name: `segment_${s.id}`, rules: s.rules, feature_states: s.overrides })),
    },
    feature_states: defaults,
    identity_overrides: identityOverrides.map(([identifier, features]) => ({ identifier, identity_features: features })),
  }));

const identityArbitrary = fc.record({
  identifier: fc.oneof(fc.constantFrom(...IDENTIFIERS), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(','))),
  traits: fc.dictionary(fc.constantFrom(...TRAIT_KEYS), traitValue, { maxKeys: 5 }),
});

const dir = mkdtempSync(join(tmpdir(), 'flagstack-differential-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Flagsmith's own engine, through the SDK's offline mode, on the same document. */
function oracle(document: EnvironmentDocument) {
  const file = join(dir, 'environment.json');
  writeFileSync(file, JSON.stringify(document));
  return new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
}

const comparable = (flags: Array<{ featureName: string; featureId: number; enabled: boolean; value: unknown; reason?: string }>) =>
  Object.fromEntries(
    flags
      .map((f) => [f.featureName, { featureId: f.featureId, enabled: f.enabled, value: f.value ?? null, reason: f.reason }] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );

test(`identity and environment flags equal Flagsmith's engine on ${RUNS} generated environments`, async () => {
  let comparisons = 0;
  const reasons = new Set<string>();
  await fc.assert(
    fc.asyncProperty(documentArbitrary, fc.array(identityArbitrary, { minLength: 1, maxLength: 8 }), async (document, identities) => {
      const flagsmith = oracle(document);
      const env = compileEnvironment(document);
      expect(comparable(evaluateEnvironmentFlags(env))).toEqual(comparable((await flagsmith.getEnvironmentFlags()).allFlags()));
      for (const { identifier, traits } of identities) {
        const ours = comparable(evaluateIdentityFlags(env, identifier, traits));
        const theirs = comparable((await flagsmith.getIdentityFlags(identifier, traits)).allFlags());
        expect({ identifier, traits, flags: ours }).toEqual({ identifier, traits, flags: theirs });
        Object.values(ours).forEach((flag) => reasons.add(String(flag.reason).split(';')[0]));
        comparisons++;
      }
    }),
    { numRuns: RUNS, seed: SEED },
  );
  // The generator must actually reach every kind of outcome, or the comparison proves little.
  expect([...reasons].sort()).toEqual(['DEFAULT', 'SPLIT', 'TARGETING_MATCH']);
  expect(comparisons).toBeGreaterThan(RUNS);
});
