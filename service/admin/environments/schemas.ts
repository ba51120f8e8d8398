/** Request schemas of the environments routes. */
import { Type, type Static } from '@sinclair/typebox';
import { Name, NewClientKey, strict } from '../schemas';

export const EnvironmentCreate = strict({
  name: Name,
  /** Chosen by the server when absent. */
  client_key: Type.Optional(NewClientKey),
  allow_client_traits: Type.Optional(Type.Boolean()),
});
export const EnvironmentUpdate = Type.Partial(strict({ name: Name, allow_client_traits: Type.Boolean() }), {
  additionalProperties: false,
  minProperties: 1,
});
export type EnvironmentCreate = Static<typeof EnvironmentCreate>;
export type EnvironmentUpdate = Static<typeof EnvironmentUpdate>;
