/** Schemas of the moves routes. */
import { Type, type Static } from '@sinclair/typebox';
import { strict } from '../schemas';

const ServiceUrl = (description: string) => Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048, description });

export const MoveStart = strict({
  target: Type.String({
    pattern: '^postgres(ql)?://',
    maxLength: 4096,
    description: "The target's PostgreSQL URL (the next stage's database); kept in memory only",
  }),
  targetEndpoint: ServiceUrl("Where the target's service answers: named in the source's 503s once moved"),
  sourceEndpoint: ServiceUrl("Where this service answers, as the target's service reaches it: where the replica sends writes"),
});
export type MoveStart = Static<typeof MoveStart>;

export const MoveStatus = Type.Object({
  phase: Type.Union(['copying', 'catching-up', 'cutting-over', 'moved', 'abandoned'].map((phase) => Type.Literal(phase))),
  target: Type.String({ description: 'The target database, without its password' }),
  startedAt: Type.String({ format: 'date-time' }),
  copiedRows: Type.Integer(),
  appliedChanges: Type.Integer(),
  pendingChanges: Type.Integer(),
  lagMs: Type.Optional(Type.Number()),
  verified: Type.Boolean(),
  readyToCutOver: Type.Boolean(),
  pauseMs: Type.Optional(Type.Number()),
  lastError: Type.Optional(Type.String()),
});
