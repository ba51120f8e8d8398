/** A project's environments (/projects/:projectId/environments), then each by its client key (/environments/:clientKey). */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { EnvironmentParams, ProjectParams } from '../schemas';
import * as environments from './operations';
import { EnvironmentCreate, EnvironmentUpdate } from './schemas';

export const environmentRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write, create, remove }, done) => {
  api.get('/projects/:projectId/environments', doc('List environments', { params: ProjectParams }), (request) =>
    environments.listEnvironments(db, request.params.projectId),
  );
  api.post(
    '/projects/:projectId/environments',
    doc('Create an environment', { params: ProjectParams, body: EnvironmentCreate }),
    (request, reply) => create(request, reply, (c) => environments.createEnvironment(c, request.params.projectId, request.body)),
  );
  api.get('/environments/:clientKey', doc('Get an environment', { params: EnvironmentParams }), (request) =>
    environments.getEnvironment(db, request.params.clientKey),
  );
  api.patch('/environments/:clientKey', doc('Update an environment', { params: EnvironmentParams, body: EnvironmentUpdate }), (request) =>
    write(request, (c) => environments.updateEnvironment(c, request.params.clientKey, request.body)),
  );
  api.delete('/environments/:clientKey', doc('Delete an environment', { params: EnvironmentParams }), (request, reply) =>
    remove(request, reply, (c) => environments.deleteEnvironment(c, request.params.clientKey)),
  );
  done();
};
