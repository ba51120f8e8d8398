/** OpenFeature Remote Evaluation Protocol request schemas. */
import { Type, type Static } from '@sinclair/typebox';
import { traitKey, traitValue, type TraitLimits } from './sdk';

/**
 * An evaluation context: `targetingKey` is the identity, other primitive values are traits for this
 * evaluation, under the same limits as stored traits. Other values (objects, arrays) are not read.
 */
export const ofrepRequest = (limits: TraitLimits) =>
  Type.Object({
    context: Type.Optional(
      Type.Record(traitKey(limits), Type.Union([traitValue(limits), Type.Null(), Type.Array(Type.Unknown()), Type.Object({})]), {
        // One more than the traits: the targeting key.
        maxProperties: limits.maxTraits + 1,
        description: '`targetingKey` is the identity; other primitive values are traits for this evaluation',
      }),
    ),
  });
export type OfrepRequest = Static<ReturnType<typeof ofrepRequest>>;

export const OfrepFlagParams = Type.Object({ key: Type.String({ minLength: 1, maxLength: 2000 }) });

const Metadata = Type.Object({ featureId: Type.Integer(), flagsmithReason: Type.String() });
export const OfrepSuccess = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  reason: Type.String(),
  variant: Type.String(),
  metadata: Metadata,
});
export const OfrepFailure = Type.Object({ key: Type.Optional(Type.String()), errorCode: Type.String(), errorDetails: Type.String() });
export const OfrepBulk = Type.Object({ flags: Type.Array(Type.Union([OfrepSuccess, OfrepFailure])) });
