/** OpenFeature Remote Evaluation Protocol request schemas. */
import { Type, type Static } from '@sinclair/typebox';

export const OfrepRequest = Type.Object({
  context: Type.Optional(
    Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), {
      maxProperties: 200,
      description: '`targetingKey` is the identity; other primitive values are traits for this evaluation',
    }),
  ),
});
export type OfrepRequest = Static<typeof OfrepRequest>;

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
