/**
 * Schemas the admin resources share: ids, names and keys, the path parameters several routes use,
 * and paging. Each resource's own request schemas are in its folder (<resource>/schemas.ts); every
 * one validates, types and documents its request. Bodies reject unknown properties.
 */
import { Type, type Static, type TProperties } from '@sinclair/typebox';

export const strict = <T extends TProperties>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, description });

export const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
export const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });
export const Percentage = Type.Number({ minimum: 0, maximum: 100 });
/**
 * An environment's client key, as a path or query names one: letters, digits, `_` and `-` (keys travel
 * in URLs and headers), of any length Flagsmith could have issued, since an imported document keeps
 * its key (it is part of every identity's hash).
 */
export const ClientKey = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });
/** A key chosen for a new environment through the admin API: at least 8 characters. */
export const NewClientKey = Type.String({ minLength: 8, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });
export const FeatureName = Type.String({ minLength: 1, maxLength: 2000 });

// ---- path parameters and paging --------------------------------------------------------------
export const IdParams = strict({ id: Id });
export const ProjectParams = strict({ projectId: Id });
export const EnvironmentParams = strict({ clientKey: ClientKey });
export const EnvironmentIdParams = strict({ clientKey: ClientKey, id: Id });
export const Paging = strict({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  /** Return rows whose id is below this (the previous page's `nextCursor`). */
  cursor: Type.Optional(Id),
});
export type Paging = Static<typeof Paging>;
