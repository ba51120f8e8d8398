/** Request schema of the audit-log route. */
import { Type, type Static } from '@sinclair/typebox';
import { ClientKey, Paging } from '../schemas';

/** A page of the log, of one environment or one project if given. */
export const AuditLogQuery = Type.Composite(
  [Paging, Type.Object({ environment: Type.Optional(ClientKey), project: Type.Optional(Type.Integer({ minimum: 1 })) })],
  { additionalProperties: false },
);
export type AuditLogQuery = Static<typeof AuditLogQuery>;
