/** A project's segments (/projects/:projectId/segments, /segments/:id). */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { IdParams, ProjectParams } from '../schemas';
import * as segments from './operations';
import { SegmentCreate, SegmentUpdate } from './schemas';

export const segmentRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write, create, remove }, done) => {
  api.get('/projects/:projectId/segments', doc('List segments', { params: ProjectParams }), (request) =>
    segments.listSegments(db, request.params.projectId),
  );
  api.post('/projects/:projectId/segments', doc('Create a segment', { params: ProjectParams, body: SegmentCreate }), (request, reply) =>
    create(request, reply, (c) => segments.createSegment(c, request.params.projectId, request.body)),
  );
  api.get('/segments/:id', doc('Get a segment', { params: IdParams }), (request) => segments.getSegment(db, request.params.id));
  api.patch('/segments/:id', doc('Update a segment', { params: IdParams, body: SegmentUpdate }), (request) =>
    write(request, (c) => segments.updateSegment(c, request.params.id, request.body)),
  );
  api.delete('/segments/:id', doc('Delete a segment', { params: IdParams }), (request, reply) =>
    remove(request, reply, (c) => segments.deleteSegment(c, request.params.id)),
  );
  done();
};
