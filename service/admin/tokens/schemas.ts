/** Schemas of the tokens routes. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, Name, strict } from '../schemas';

export const TokenCreate = strict({ name: Name });
export type TokenCreate = Static<typeof TokenCreate>;
export const TokenCreated = Type.Object({ id: Id, name: Type.String(), token: Type.String() });
