/** Request schemas of the segment-overrides routes. */
import { Type, type Static } from '@sinclair/typebox';
import { FlagValue } from '../../schemas/environment-document';
import { Allocation } from '../feature-states/schemas';
import { FeatureName, Id, strict } from '../schemas';

export const SegmentOverrideCreate = strict({
  feature: FeatureName,
  segment_id: Id,
  enabled: Type.Boolean(),
  value: Type.Optional(FlagValue),
  /** Lower wins when an identity is in several overriding segments. */
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000000 })),
  multivariate: Type.Optional(Type.Array(Allocation, { maxItems: 100 })),
});
export const SegmentOverrideUpdate = Type.Partial(
  strict({
    enabled: Type.Boolean(),
    value: FlagValue,
    priority: Type.Integer({ minimum: 0, maximum: 1000000 }),
    multivariate: Type.Array(Allocation, { maxItems: 100 }),
  }),
  { additionalProperties: false, minProperties: 1 },
);
export type SegmentOverrideCreate = Static<typeof SegmentOverrideCreate>;
export type SegmentOverrideUpdate = Static<typeof SegmentOverrideUpdate>;
