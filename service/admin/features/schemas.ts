/** Request schemas of the features routes and their multivariate options. */
import { Type, type Static } from '@sinclair/typebox';
import { FlagValue } from '../../schemas/environment-document';
import { Percentage, strict } from '../schemas';

const FeatureType = Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')]);

export const MultivariateOptionCreate = strict({ value: FlagValue, default_percentage_allocation: Type.Optional(Percentage) });
export const MultivariateOptionUpdate = Type.Partial(MultivariateOptionCreate, { additionalProperties: false, minProperties: 1 });
export type MultivariateOptionCreate = Static<typeof MultivariateOptionCreate>;
export type MultivariateOptionUpdate = Static<typeof MultivariateOptionUpdate>;

export const FeatureCreate = strict({
  name: Type.String({ minLength: 1, maxLength: 2000, pattern: '^[^\\s]+$' }),
  type: Type.Optional(FeatureType),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 20000 }), Type.Null()])),
  server_key_only: Type.Optional(Type.Boolean()),
  default_enabled: Type.Optional(Type.Boolean()),
  initial_value: Type.Optional(FlagValue),
  multivariate_options: Type.Optional(Type.Array(MultivariateOptionCreate, { maxItems: 100 })),
});
export const FeatureUpdate = Type.Partial(
  strict({
    description: Type.Union([Type.String({ maxLength: 20000 }), Type.Null()]),
    server_key_only: Type.Boolean(),
    default_enabled: Type.Boolean(),
    initial_value: FlagValue,
  }),
  { additionalProperties: false, minProperties: 1 },
);
export type FeatureCreate = Static<typeof FeatureCreate>;
export type FeatureUpdate = Static<typeof FeatureUpdate>;
