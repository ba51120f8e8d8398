/** /audit-log: every admin change, newest first, by environment or project if asked. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { listAuditLog } from './operations';
import { AuditLogQuery } from './schemas';

export const auditLogRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc }, done) => {
  api.get('/audit-log', doc('Every admin change, newest first', { querystring: AuditLogQuery }), (request) =>
    listAuditLog(db, request.query),
  );
  done();
};
