/**
 * The benchmark's environment: 50 features (10 multivariate), 10 segments with nested rules over
 * every kind of operator (two percentage splits), 100 identity overrides; and the identities that
 * request flags, each with three traits.
 */
import type { DocumentFeatureState, EnvironmentDocument, SegmentCondition, TraitValue } from '../service/schemas/environment-document';

export const FEATURES = 50;
export const MULTIVARIATE_EVERY = 5; // 10 of 50
export const IDENTITY_OVERRIDES = 100;

const featureName = (i: number) => `feature_${i}`;

function featureState(
  i: number,
  djangoId: number,
  value: DocumentFeatureState['feature_state_value'],
  priority?: number,
): DocumentFeatureState {
  const multivariate = i % MULTIVARIATE_EVERY === 0;
  return {
    feature: { id: i, name: featureName(i), type: multivariate ? 'MULTIVARIATE' : 'STANDARD' },
    enabled: i % 7 !== 0,
    django_id: djangoId,
    feature_state_value: value,
    feature_segment: priority === undefined ? null : { priority },
    multivariate_feature_state_values: multivariate
      ? [25, 25, 30].map((weight, v) => ({
          id: djangoId * 10 + v,
          multivariate_feature_option: { id: i * 10 + v, value: `${featureName(i)}_variant_${v}` },
          percentage_allocation: weight,
        }))
      : [],
  };
}

const condition = (operator: SegmentCondition['operator'], property_: string | null, value: string | null): SegmentCondition => ({
  operator,
  property_,
  value,
});

/** Ten segments; each an ALL of an ANY and a NONE, so every rule type and nesting level is exercised. */
const SEGMENT_CONDITIONS: SegmentCondition[][] = [
  [condition('EQUAL', 'plan', 'pro'), condition('GREATER_THAN_INCLUSIVE', 'age', '18')],
  [condition('IN', 'plan', 'pro,enterprise,team'), condition('LESS_THAN', 'age', '30')],
  [condition('GREATER_THAN', 'app_version', '2.0.0:semver'), condition('EQUAL', 'plan', 'enterprise')],
  [condition('REGEX', 'plan', '^ent'), condition('MODULO', 'age', '2|0')],
  [condition('PERCENTAGE_SPLIT', null, '25'), condition('IS_SET', 'plan', null)],
  [condition('CONTAINS', 'plan', 'ro'), condition('NOT_EQUAL', 'age', '40')],
  [condition('IN', 'app_version', '["1.0.0","1.5.0"]'), condition('GREATER_THAN', 'age', '60')],
  [condition('LESS_THAN_INCLUSIVE', 'age', '21'), condition('NOT_CONTAINS', 'plan', 'free')],
  [condition('PERCENTAGE_SPLIT', null, '50'), condition('EQUAL', '$.identity.identifier', 'user-1')],
  [condition('IS_NOT_SET', 'country', null), condition('EQUAL', 'plan', 'team')],
];

export function benchmarkDocument(apiKey: string): EnvironmentDocument {
  return {
    id: 1,
    api_key: apiKey,
    name: 'bench',
    project: {
      id: 1,
      name: 'bench',
      organisation: { id: 1, name: 'bench', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      server_key_only_feature_ids: [],
      segments: SEGMENT_CONDITIONS.map((conditions, s) => ({
        id: s + 1,
        name: `segment_${s + 1}`,
        rules: [
          {
            type: 'ALL',
            conditions: [],
            rules: [
              { type: 'ANY', conditions, rules: [] },
              { type: 'NONE', conditions: [condition('EQUAL', 'banned', 'true')], rules: [] },
            ],
          },
        ],
        // Each segment overrides five features.
        feature_states: Array.from({ length: 5 }, (_, k) => {
          const i = ((s * 7 + k * 3) % FEATURES) + 1;
          return featureState(i, 10_000 + s * 10 + k, `segment_${s + 1}_value`, s % 4);
        }),
      })),
    },
    feature_states: Array.from({ length: FEATURES }, (_, n) => {
      const i = n + 1;
      const value = i % 3 === 0 ? i * 10 : i % 3 === 1 ? `value_${i}` : null;
      return featureState(i, i, value);
    }),
    identity_overrides: Array.from({ length: IDENTITY_OVERRIDES }, (_, n) => ({
      identifier: `user-${n * 100}`,
      identity_features: [featureState((n % FEATURES) + 1, 100_000 + n, `override_${n}`)],
    })),
  };
}

const PLANS = ['free', 'pro', 'enterprise', 'team'];
const VERSIONS = ['1.0.0', '1.5.0', '2.1.0', '3.0.0'];

/** Identity `n`'s traits as the SDK sends them. */
export const traitList = (n: number) => Object.entries(traitsOf(n)).map(([trait_key, trait_value]) => ({ trait_key, trait_value }));

/** Three traits of identity `n`. */
export const traitsOf = (n: number): Record<string, TraitValue> => ({
  plan: PLANS[n % PLANS.length],
  age: 16 + (n % 60),
  app_version: VERSIONS[n % VERSIONS.length],
});
