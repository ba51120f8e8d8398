/** /environments/:clientKey/analytics: flag evaluation counts reported by SDKs, per hour. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AnalyticsStore } from '../../storage/analytics';
import type { AdminRoutes } from '../plugin';
import { EnvironmentParams } from '../schemas';
import { listAnalytics } from './operations';
import { AnalyticsQuery } from './schemas';

export interface AnalyticsRoutesOptions extends AdminRoutes {
  analytics: AnalyticsStore;
}

export const analyticsRoutes: FastifyPluginCallbackTypebox<AnalyticsRoutesOptions> = (api, { db, doc, analytics }, done) => {
  api.get(
    '/environments/:clientKey/analytics',
    doc('Flag evaluation counts reported by SDKs, per hour', { params: EnvironmentParams, querystring: AnalyticsQuery }),
    (request) => listAnalytics(db, analytics, request.params.clientKey, request.query.hours),
  );
  done();
};
