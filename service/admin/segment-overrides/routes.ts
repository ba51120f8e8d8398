/** /environments/:clientKey/segment-overrides: a feature's state for a segment's identities in one environment. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { EnvironmentIdParams, EnvironmentParams } from '../schemas';
import * as segmentOverrides from './operations';
import { SegmentOverrideCreate, SegmentOverrideUpdate } from './schemas';

export const segmentOverrideRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write, create, remove }, done) => {
  api.get('/environments/:clientKey/segment-overrides', doc('List segment overrides', { params: EnvironmentParams }), (request) =>
    segmentOverrides.listSegmentOverrides(db, request.params.clientKey),
  );
  api.post(
    '/environments/:clientKey/segment-overrides',
    doc('Override a feature for a segment', { params: EnvironmentParams, body: SegmentOverrideCreate }),
    (request, reply) => create(request, reply, (c) => segmentOverrides.createSegmentOverride(c, request.params.clientKey, request.body)),
  );
  api.patch(
    '/environments/:clientKey/segment-overrides/:id',
    doc('Change a segment override', { params: EnvironmentIdParams, body: SegmentOverrideUpdate }),
    (request) =>
      write(request, (c) => segmentOverrides.updateSegmentOverride(c, request.params.clientKey, request.params.id, request.body)),
  );
  api.delete(
    '/environments/:clientKey/segment-overrides/:id',
    doc('Remove a segment override', { params: EnvironmentIdParams }),
    (request, reply) =>
      remove(request, reply, (c) => segmentOverrides.deleteSegmentOverride(c, request.params.clientKey, request.params.id)),
  );
  done();
};
