/** /environments/:clientKey/analytics: flag evaluation counts reported by SDKs, per hour. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EnvironmentParams } from '../../schemas/admin';
import type { AnalyticsStore } from '../../storage/analytics';
import type { AdminRoutes } from '../plugin';
import { listAnalytics } from './operations';

export interface AnalyticsRoutesOptions extends AdminRoutes {
  analytics: AnalyticsStore;
}

export const analyticsRoutes: FastifyPluginCallbackTypebox<AnalyticsRoutesOptions> = (api, { db, doc, analytics }, done) => {
  api.get(
    '/environments/:clientKey/analytics',
    doc('Flag evaluation counts reported by SDKs, per hour', {
      params: EnvironmentParams,
      querystring: Type.Object({ hours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 24 }) }, { additionalProperties: false }),
    }),
    (request) => listAnalytics(db, analytics, request.params.clientKey, request.query.hours),
  );
  done();
};
