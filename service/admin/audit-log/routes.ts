/** /audit-log: every admin change, newest first, by environment or project if asked. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ClientKey, Paging } from '../../schemas/admin';
import type { AdminRoutes } from '../plugin';
import { listAuditLog } from './operations';

export const auditLogRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc }, done) => {
  api.get(
    '/audit-log',
    doc('Every admin change, newest first', {
      querystring: Type.Composite(
        [Paging, Type.Object({ environment: Type.Optional(ClientKey), project: Type.Optional(Type.Integer({ minimum: 1 })) })],
        { additionalProperties: false },
      ),
    }),
    (request) => listAuditLog(db, request.query),
  );
  done();
};
