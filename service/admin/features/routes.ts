/** A project's features (/projects/:projectId/features, /features/:id) and their multivariate options. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { IdParams, ProjectParams } from '../schemas';
import * as features from './operations';
import { FeatureCreate, FeatureUpdate, MultivariateOptionCreate, MultivariateOptionUpdate } from './schemas';

export const featureRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write, create, remove }, done) => {
  api.get('/projects/:projectId/features', doc('List features', { params: ProjectParams }), (request) =>
    features.listFeatures(db, request.params.projectId),
  );
  api.post(
    '/projects/:projectId/features',
    doc('Create a feature (and its state in every environment)', { params: ProjectParams, body: FeatureCreate }),
    (request, reply) => create(request, reply, (c) => features.createFeature(c, request.params.projectId, request.body)),
  );
  api.get('/features/:id', doc('Get a feature', { params: IdParams }), (request) => features.getFeature(db, request.params.id));
  api.patch('/features/:id', doc('Update a feature', { params: IdParams, body: FeatureUpdate }), (request) =>
    write(request, (c) => features.updateFeature(c, request.params.id, request.body)),
  );
  api.delete('/features/:id', doc('Delete a feature', { params: IdParams }), (request, reply) =>
    remove(request, reply, (c) => features.deleteFeature(c, request.params.id)),
  );

  api.post(
    '/features/:id/multivariate-options',
    doc('Add a multivariate option', { params: IdParams, body: MultivariateOptionCreate }),
    (request, reply) => create(request, reply, (c) => features.createOption(c, request.params.id, request.body)),
  );
  api.patch(
    '/multivariate-options/:id',
    doc('Update a multivariate option', { params: IdParams, body: MultivariateOptionUpdate }),
    (request) => write(request, (c) => features.updateOption(c, request.params.id, request.body)),
  );
  api.delete('/multivariate-options/:id', doc('Delete a multivariate option', { params: IdParams }), (request, reply) =>
    remove(request, reply, (c) => features.deleteOption(c, request.params.id)),
  );
  done();
};
