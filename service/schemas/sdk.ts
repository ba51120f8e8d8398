/** Request schemas of the Flagsmith-compatible SDK endpoints. */
import { Type, type Static } from '@sinclair/typebox';
import { FlagValue, TraitValue } from './environment-document';

export const FlagsQuery = Type.Object({
  feature: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Return only this feature' })),
});
export type FlagsQuery = Static<typeof FlagsQuery>;

export const IdentityQuery = Type.Object({
  identifier: Type.String({ maxLength: 2000, description: 'The identity; empty for a transient identity' }),
  transient: Type.Optional(Type.Boolean({ description: 'Do not persist the identity' })),
});
export type IdentityQuery = Static<typeof IdentityQuery>;

/**
 * What one request may say about traits: the service and the edge read these from the same settings
 * (FLAGSTACK_MAX_TRAIT_KEY_LENGTH, FLAGSTACK_MAX_TRAIT_VALUE_LENGTH, FLAGSTACK_MAX_TRAITS_PER_IDENTITY).
 */
export interface TraitLimits {
  /** Longest trait key, in characters. */
  readonly maxKeyLength: number;
  /** Longest string trait value, in characters. */
  readonly maxValueLength: number;
  /** Most traits in one request; one identity may hold no more either. */
  readonly maxTraits: number;
}

export const traitKey = (limits: TraitLimits) => Type.String({ minLength: 1, maxLength: limits.maxKeyLength });
export const traitValue = (limits: TraitLimits) =>
  Type.Union([Type.String({ maxLength: limits.maxValueLength }), Type.Number(), Type.Boolean()]);

const sdkTrait = (limits: TraitLimits) =>
  Type.Object({
    trait_key: traitKey(limits),
    trait_value: Type.Union([traitValue(limits), Type.Null()], { description: 'null deletes the trait' }),
    transient: Type.Optional(Type.Boolean({ description: 'Use for this evaluation only; never stored' })),
  });

export const identityBody = (limits: TraitLimits) =>
  Type.Object({
    identifier: Type.String({ maxLength: 2000, description: 'The identity; empty for a transient identity' }),
    traits: Type.Optional(Type.Array(sdkTrait(limits), { maxItems: limits.maxTraits })),
    transient: Type.Optional(Type.Boolean({ description: 'Evaluate without storing the identity or its traits' })),
  });
export type IdentityBody = Static<ReturnType<typeof identityBody>>;

/** `{"<feature name>": <evaluation count>}` as the Flagsmith SDKs' analytics processor sends it. */
export const AnalyticsBody = Type.Record(Type.String({ minLength: 1, maxLength: 2000 }), Type.Integer({ minimum: 0, maximum: 1e12 }), {
  maxProperties: 10000,
});
export type AnalyticsBody = Static<typeof AnalyticsBody>;

/** One flag in Flagsmith's SDK responses (documentation: the bodies are pre-serialised strings). */
export const SdkFlag = Type.Object({
  id: Type.Integer(),
  feature: Type.Object({
    id: Type.Integer(),
    name: Type.String(),
    created_date: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    initial_value: FlagValue,
    default_enabled: Type.Boolean(),
    type: Type.String(),
  }),
  feature_state_value: FlagValue,
  environment: Type.Integer(),
  identity: Type.Union([Type.Integer(), Type.Null()]),
  feature_segment: Type.Null(),
  enabled: Type.Boolean(),
});

export const IdentityResponse = Type.Object({
  identifier: Type.String(),
  flags: Type.Array(SdkFlag),
  traits: Type.Array(Type.Object({ trait_key: Type.String(), trait_value: TraitValue, transient: Type.Optional(Type.Boolean()) })),
});
