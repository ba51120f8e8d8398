/** Request schemas of the segments routes. */
import { Type, type Static } from '@sinclair/typebox';
import { SegmentRule } from '../../schemas/environment-document';
import { Name, strict } from '../schemas';

export const SegmentCreate = strict({
  name: Name,
  description: Type.Optional(Type.Union([Type.String({ maxLength: 20000 }), Type.Null()])),
  rules: Type.Array(SegmentRule, { maxItems: 100 }),
});
export const SegmentUpdate = Type.Partial(SegmentCreate, { additionalProperties: false, minProperties: 1 });
export type SegmentCreate = Static<typeof SegmentCreate>;
export type SegmentUpdate = Static<typeof SegmentUpdate>;
