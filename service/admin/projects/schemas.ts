/** Request schemas of /projects. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, strict } from '../schemas';

export const ProjectCreate = strict({ name: Name, hide_disabled_flags: Type.Optional(Type.Boolean()) });
export const ProjectUpdate = Type.Partial(ProjectCreate, { additionalProperties: false, minProperties: 1 });
export type ProjectCreate = Static<typeof ProjectCreate>;
export type ProjectUpdate = Static<typeof ProjectUpdate>;
