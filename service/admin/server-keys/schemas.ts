/** Schemas of the server-keys routes. */
import { Type, type Static } from '@sinclair/typebox';
import { Id, strict } from '../schemas';

/** The body may be left out (the key is then unnamed). */
export const ServerKeyCreate = Type.Optional(strict({ name: Type.Optional(Type.String({ maxLength: 200 })) }));
export type ServerKeyCreate = Static<typeof ServerKeyCreate>;
export const ServerKeyCreated = Type.Object({ id: Id, key: Type.String({ pattern: '^ser\\.' }) });
