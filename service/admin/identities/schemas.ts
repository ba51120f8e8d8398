/** Schemas of the identities routes; trait changes meet the limits SDK requests meet (schemas/sdk.ts). */
import { Type, type Static } from '@sinclair/typebox';
import { FlagValue } from '../../schemas/environment-document';
import { traitKey, traitValue, type TraitLimits } from '../../schemas/sdk';
import { ClientKey, FeatureName, strict } from '../schemas';

export const IdentityParams = strict({ clientKey: ClientKey, identifier: Type.String({ minLength: 1, maxLength: 2000 }) });
export const IdentityFeatureParams = strict({
  clientKey: ClientKey,
  identifier: Type.String({ minLength: 1, maxLength: 2000 }),
  featureName: FeatureName,
});

/** Trait changes: a value sets the trait, null deletes it. */
export const traitChanges = (limits: TraitLimits) =>
  Type.Record(traitKey(limits), Type.Union([traitValue(limits), Type.Null()]), { maxProperties: limits.maxTraits });
export type TraitChanges = Static<ReturnType<typeof traitChanges>>;
export const identityCreate = (limits: TraitLimits) =>
  strict({
    identifier: Type.String({ minLength: 1, maxLength: 2000 }),
    traits: Type.Optional(traitChanges(limits)),
  });
export type IdentityCreate = Static<ReturnType<typeof identityCreate>>;
export const IdentityOverrideSet = strict({ enabled: Type.Boolean(), value: Type.Optional(FlagValue) });
export type IdentityOverrideSet = Static<typeof IdentityOverrideSet>;
