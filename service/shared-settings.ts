/**
 * Settings that the service and the edge function both read, under the same names, so that a browser
 * or an SDK meets the same rules whichever of the two answers: which web origins may call the SDK
 * endpoints, and what a request may say about traits.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ORIGINS_EXAMPLES, ORIGINS_PATTERN } from './cors';
import type { TraitLimits } from './schemas/sdk';
import type { IdentityBounds } from './storage/traits';

export const SHARED_SETTINGS = {
  FLAGSTACK_CORS_ORIGINS: Type.String({
    pattern: ORIGINS_PATTERN,
    examples: ORIGINS_EXAMPLES,
    default: '*',
    description:
      'Web origins whose pages may call the SDK and OFREP endpoints (comma-separated, e.g. https://shop.example); * allows any, as Flagsmith does',
  }),
  FLAGSTACK_MAX_TRAITS_PER_IDENTITY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 200,
    description: 'Most traits one identity may hold',
  }),
  FLAGSTACK_MAX_TRAIT_KEY_LENGTH: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 200,
    description: "Longest trait key, in characters (Flagsmith's limit is 200)",
  }),
  FLAGSTACK_MAX_TRAIT_VALUE_LENGTH: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 2000,
    description: "Longest string trait value, in characters (Flagsmith's limit is 2,000)",
  }),
  FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 350_000,
    default: 65_536,
    description:
      "Largest size of one identity's traits, as stored JSON in bytes (at most 350,000: the edge keeps an identity in one DynamoDB item of at most 400 KB)",
  }),
};

type LimitSettings = Omit<Static<ReturnType<typeof Type.Object<typeof SHARED_SETTINGS>>>, 'FLAGSTACK_CORS_ORIGINS'>;

/** What one request may say about traits. */
export const traitLimitsOf = (settings: LimitSettings): TraitLimits => ({
  maxKeyLength: settings.FLAGSTACK_MAX_TRAIT_KEY_LENGTH,
  maxValueLength: settings.FLAGSTACK_MAX_TRAIT_VALUE_LENGTH,
  maxTraits: settings.FLAGSTACK_MAX_TRAITS_PER_IDENTITY,
});

/** What one identity may hold. */
export const identityBoundsOf = (settings: LimitSettings): IdentityBounds => ({
  maxTraits: settings.FLAGSTACK_MAX_TRAITS_PER_IDENTITY,
  maxBytes: settings.FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES,
});

const defaults: LimitSettings = {
  FLAGSTACK_MAX_TRAITS_PER_IDENTITY: SHARED_SETTINGS.FLAGSTACK_MAX_TRAITS_PER_IDENTITY.default as number,
  FLAGSTACK_MAX_TRAIT_KEY_LENGTH: SHARED_SETTINGS.FLAGSTACK_MAX_TRAIT_KEY_LENGTH.default as number,
  FLAGSTACK_MAX_TRAIT_VALUE_LENGTH: SHARED_SETTINGS.FLAGSTACK_MAX_TRAIT_VALUE_LENGTH.default as number,
  FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES: SHARED_SETTINGS.FLAGSTACK_MAX_IDENTITY_TRAITS_BYTES.default as number,
};

/** The limits and bounds with every setting at its default: Flagsmith's own where it has them. */
export const DEFAULT_TRAIT_LIMITS: TraitLimits = traitLimitsOf(defaults);
export const DEFAULT_IDENTITY_BOUNDS: IdentityBounds = identityBoundsOf(defaults);
