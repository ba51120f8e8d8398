/** /environments/:clientKey/feature-states/:featureName: a feature's default state in an environment, read and changed. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import * as featureStates from './operations';
import { EnvironmentFeatureParams, FeatureStateUpdate } from './schemas';

export const featureStateRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write }, done) => {
  api.get(
    '/environments/:clientKey/feature-states/:featureName',
    doc("A feature's state in an environment", { params: EnvironmentFeatureParams }),
    (request) => featureStates.getFeatureState(db, request.params.clientKey, request.params.featureName),
  );
  api.patch(
    '/environments/:clientKey/feature-states/:featureName',
    doc("Change a feature's state in an environment", { params: EnvironmentFeatureParams, body: FeatureStateUpdate }),
    (request) =>
      write(request, (c) => featureStates.updateFeatureState(c, request.params.clientKey, request.params.featureName, request.body)),
  );
  done();
};
