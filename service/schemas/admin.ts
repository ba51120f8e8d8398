/** Request and response schemas of the admin API. Bodies reject unknown properties. */
import { Type, type Static, type TProperties } from '@sinclair/typebox';
import { FlagValue, SegmentRule } from './environment-document';
import { traitKey, traitValue, type TraitLimits } from './sdk';

const strict = <T extends TProperties>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, description });

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });
const Percentage = Type.Number({ minimum: 0, maximum: 100 });
const FeatureType = Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')]);
/** Keys travel in URLs and headers: letters, digits and `._-` only. */
export const ClientKey = Type.String({ minLength: 8, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });
const FeatureName = Type.String({ minLength: 1, maxLength: 2000 });

// ---- path parameters and paging --------------------------------------------------------------
export const IdParams = strict({ id: Id });
export const ProjectParams = strict({ projectId: Id });
export const EnvironmentParams = strict({ clientKey: ClientKey });
export const EnvironmentIdParams = strict({ clientKey: ClientKey, id: Id });
export const EnvironmentFeatureParams = strict({ clientKey: ClientKey, featureName: FeatureName });
export const IdentityParams = strict({ clientKey: ClientKey, identifier: Type.String({ minLength: 1, maxLength: 2000 }) });
export const IdentityFeatureParams = strict({
  clientKey: ClientKey,
  identifier: Type.String({ minLength: 1, maxLength: 2000 }),
  featureName: FeatureName,
});
export const Paging = strict({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  /** Return rows whose id is below this (the previous page's `nextCursor`). */
  cursor: Type.Optional(Id),
});
export type Paging = Static<typeof Paging>;
export const ImportQuery = strict({
  /** Project that a new environment joins; without it a new project is created from the document. */
  project: Type.Optional(Id),
});

// ---- projects and environments ---------------------------------------------------------------
export const ProjectCreate = strict({ name: Name, hide_disabled_flags: Type.Optional(Type.Boolean()) });
export const ProjectUpdate = Type.Partial(ProjectCreate, { additionalProperties: false, minProperties: 1 });
export type ProjectCreate = Static<typeof ProjectCreate>;
export type ProjectUpdate = Static<typeof ProjectUpdate>;

export const EnvironmentCreate = strict({
  name: Name,
  /** Chosen by the server when absent. */
  client_key: Type.Optional(ClientKey),
  allow_client_traits: Type.Optional(Type.Boolean()),
});
export const EnvironmentUpdate = Type.Partial(strict({ name: Name, allow_client_traits: Type.Boolean() }), {
  additionalProperties: false,
  minProperties: 1,
});
export type EnvironmentCreate = Static<typeof EnvironmentCreate>;
export type EnvironmentUpdate = Static<typeof EnvironmentUpdate>;

export const ServerKeyCreate = strict({ name: Type.Optional(Type.String({ maxLength: 200 })) });
export const ServerKeyCreated = Type.Object({ id: Id, key: Type.String({ pattern: '^ser\\.' }) });

// ---- features --------------------------------------------------------------------------------
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

// ---- segments and overrides ------------------------------------------------------------------
export const SegmentCreate = strict({
  name: Name,
  description: Type.Optional(Type.Union([Type.String({ maxLength: 20000 }), Type.Null()])),
  rules: Type.Array(SegmentRule, { maxItems: 100 }),
});
export const SegmentUpdate = Type.Partial(SegmentCreate, { additionalProperties: false, minProperties: 1 });
export type SegmentCreate = Static<typeof SegmentCreate>;
export type SegmentUpdate = Static<typeof SegmentUpdate>;

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

// ---- identities ------------------------------------------------------------------------------
/** Trait changes: a value sets the trait, null deletes it; under the limits SDK requests meet. */
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

// ---- tokens ----------------------------------------------------------------------------------
export const TokenCreate = strict({ name: Name });
export const TokenCreated = Type.Object({ id: Id, name: Type.String(), token: Type.String() });
