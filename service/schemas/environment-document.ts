/**
 * The Flagsmith environment document: the unit that local-evaluation SDKs download from
 * `GET /api/v1/environment-document/`, that the admin API imports and exports, and that the
 * evaluation engine compiles. One schema validates it, types it and documents it in OpenAPI.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const CONDITION_OPERATORS = [
  'EQUAL',
  'NOT_EQUAL',
  'GREATER_THAN',
  'GREATER_THAN_INCLUSIVE',
  'LESS_THAN',
  'LESS_THAN_INCLUSIVE',
  'CONTAINS',
  'NOT_CONTAINS',
  'REGEX',
  'IN',
  'MODULO',
  'IS_SET',
  'IS_NOT_SET',
  'PERCENTAGE_SPLIT',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export const RULE_TYPES = ['ALL', 'ANY', 'NONE'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** A flag value: Flagsmith stores strings, integers, floats and booleans; `null` means "no value". */
export const FlagValue = Type.Union([Type.String({ maxLength: 20000 }), Type.Number(), Type.Boolean(), Type.Null()]);
export type FlagValue = Static<typeof FlagValue>;

/** A trait value as identities carry it. */
export const TraitValue = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]);
export type TraitValue = Static<typeof TraitValue>;

const Id = Type.Integer({ minimum: 1 });
const Name = Type.String({ minLength: 1, maxLength: 2000 });

export const SegmentCondition = Type.Object({
  operator: Type.Union(CONDITION_OPERATORS.map((op) => Type.Literal(op))),
  /** A trait key, `$.identity.identifier`, `$.environment.name`, or null (percentage splits). */
  property_: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  /** At most 1,000 characters, as in Flagsmith. */
  value: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
});
export type SegmentCondition = Static<typeof SegmentCondition>;

/** How deeply rules may nest (Flagsmith's own segments use two levels). */
export const MAX_RULE_DEPTH = 4;

export interface SegmentRule {
  type: RuleType;
  rules: SegmentRule[];
  conditions: SegmentCondition[];
}

// Spelt out level by level rather than as a recursive schema: it bounds the nesting a request can
// send, and a schema without $id can be embedded in any number of route schemas.
const ruleAtDepth = (depth: number): TSchema =>
  Type.Object({
    type: Type.Union(RULE_TYPES.map((t) => Type.Literal(t))),
    rules: depth > 1 ? Type.Array(ruleAtDepth(depth - 1), { maxItems: 100 }) : Type.Array(Type.Never(), { maxItems: 0 }),
    conditions: Type.Array(SegmentCondition, { maxItems: 100 }),
  });
export const SegmentRule = Type.Unsafe<SegmentRule>(ruleAtDepth(MAX_RULE_DEPTH));

export const MultivariateFeatureStateValue = Type.Object({
  id: Type.Optional(Type.Union([Id, Type.Null()])),
  multivariate_feature_option: Type.Object({
    id: Type.Optional(Type.Union([Id, Type.Null()])),
    value: FlagValue,
  }),
  percentage_allocation: Type.Number({ minimum: 0, maximum: 100 }),
  mv_fs_value_uuid: Type.Optional(Type.String()),
});
export type MultivariateFeatureStateValue = Static<typeof MultivariateFeatureStateValue>;

export const DocumentFeature = Type.Object({
  id: Id,
  name: Name,
  type: Type.Optional(Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')])),
});

export const DocumentFeatureState = Type.Object({
  feature: DocumentFeature,
  enabled: Type.Boolean(),
  /** The key percentage hashing uses for this feature state; imported documents keep theirs. */
  django_id: Type.Optional(Type.Union([Id, Type.Null()])),
  feature_state_value: Type.Optional(FlagValue),
  featurestate_uuid: Type.Optional(Type.String()),
  /** A segment override's rank: lower wins; null (Flagsmith's model allows it) ranks after every number. */
  feature_segment: Type.Optional(Type.Union([Type.Object({ priority: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()])),
  multivariate_feature_state_values: Type.Optional(Type.Array(MultivariateFeatureStateValue, { maxItems: 100 })),
});
export type DocumentFeatureState = Static<typeof DocumentFeatureState>;

export const DocumentSegment = Type.Object({
  /** Also the key percentage splits hash with; imported documents keep theirs. */
  id: Id,
  name: Name,
  rules: Type.Array(SegmentRule, { maxItems: 100 }),
  feature_states: Type.Array(DocumentFeatureState, { maxItems: 10000 }),
});
export type DocumentSegment = Static<typeof DocumentSegment>;

export const DocumentTrait = Type.Object({ trait_key: Name, trait_value: TraitValue });

export const DocumentIdentityOverride = Type.Object({
  identifier: Type.String({ minLength: 1, maxLength: 2000 }),
  identity_uuid: Type.Optional(Type.String()),
  created_date: Type.Optional(Type.String()),
  environment_api_key: Type.Optional(Type.String()),
  django_id: Type.Optional(Type.Union([Id, Type.Null()])),
  identity_features: Type.Array(DocumentFeatureState, { maxItems: 10000 }),
  identity_traits: Type.Optional(Type.Array(DocumentTrait)),
});
export type DocumentIdentityOverride = Static<typeof DocumentIdentityOverride>;

export const EnvironmentDocument = Type.Object({
  id: Id,
  api_key: Type.String({ minLength: 1, maxLength: 200 }),
  name: Name,
  project: Type.Object({
    id: Id,
    name: Name,
    organisation: Type.Object({
      id: Id,
      name: Name,
      feature_analytics: Type.Boolean(),
      stop_serving_flags: Type.Boolean(),
      persist_trait_data: Type.Boolean(),
    }),
    hide_disabled_flags: Type.Boolean(),
    segments: Type.Array(DocumentSegment, { maxItems: 10000 }),
    server_key_only_feature_ids: Type.Optional(Type.Array(Id)),
  }),
  feature_states: Type.Array(DocumentFeatureState, { maxItems: 10000 }),
  identity_overrides: Type.Optional(Type.Array(DocumentIdentityOverride, { maxItems: 100000 })),
  allow_client_traits: Type.Optional(Type.Boolean()),
  hide_sensitive_data: Type.Optional(Type.Boolean()),
  hide_disabled_flags: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  use_identity_composite_key_for_hashing: Type.Optional(Type.Boolean()),
  use_identity_overrides_in_local_eval: Type.Optional(Type.Boolean()),
  updated_at: Type.Optional(Type.String()),
});
export type EnvironmentDocument = Static<typeof EnvironmentDocument>;
