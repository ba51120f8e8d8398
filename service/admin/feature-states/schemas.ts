/** Schemas of the feature-states routes; the multivariate allocations are the segment overrides' too. */
import { Type, type Static } from '@sinclair/typebox';
import { FlagValue } from '../../schemas/environment-document';
import { ClientKey, FeatureName, Id, Percentage, strict } from '../schemas';

export const EnvironmentFeatureParams = strict({ clientKey: ClientKey, featureName: FeatureName });

export const Allocation = strict({ option_id: Id, percentage_allocation: Percentage });
export type Allocation = Static<typeof Allocation>;

/** A feature state: the environment default, a segment override or an identity override. */
export const FeatureStateUpdate = Type.Partial(
  strict({
    enabled: Type.Boolean(),
    value: FlagValue,
    /** Replaces the multivariate allocations; their sum may not exceed 100. */
    multivariate: Type.Array(Allocation, { maxItems: 100 }),
  }),
  { additionalProperties: false, minProperties: 1 },
);
export type FeatureStateUpdate = Static<typeof FeatureStateUpdate>;
