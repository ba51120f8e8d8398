/** /projects: list, create, read, update, delete. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { IdParams } from '../schemas';
import * as projects from './operations';
import { ProjectCreate, ProjectUpdate } from './schemas';

export const projectRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write, create, remove }, done) => {
  api.get('/projects', doc('List projects', {}), () => projects.listProjects(db));
  api.post('/projects', doc('Create a project', { body: ProjectCreate }), (request, reply) =>
    create(request, reply, (c) => projects.createProject(c, request.body)),
  );
  api.get('/projects/:id', doc('Get a project', { params: IdParams }), (request) => projects.getProject(db, request.params.id));
  api.patch('/projects/:id', doc('Update a project', { params: IdParams, body: ProjectUpdate }), (request) =>
    write(request, (c) => projects.updateProject(c, request.params.id, request.body)),
  );
  api.delete('/projects/:id', doc('Delete a project and everything in it', { params: IdParams }), (request, reply) =>
    remove(request, reply, (c) => projects.deleteProject(c, request.params.id)),
  );
  done();
};
