/** /environments/:clientKey/server-keys: list (prefixes only), create (the key shown once), revoke. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { EnvironmentIdParams, EnvironmentParams } from '../schemas';
import * as serverKeys from './operations';
import { ServerKeyCreate, ServerKeyCreated } from './schemas';

export const serverKeyRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, create, remove }, done) => {
  api.get('/environments/:clientKey/server-keys', doc('List server keys (prefixes only)', { params: EnvironmentParams }), (request) =>
    serverKeys.listServerKeys(db, request.params.clientKey),
  );
  api.post(
    '/environments/:clientKey/server-keys',
    doc(
      'Create a server key; the key is shown only in this response',
      { params: EnvironmentParams, body: ServerKeyCreate },
      ServerKeyCreated,
    ),
    (request, reply) => create(request, reply, (c) => serverKeys.createServerKey(c, request.params.clientKey, request.body?.name ?? '')),
  );
  api.delete('/environments/:clientKey/server-keys/:id', doc('Revoke a server key', { params: EnvironmentIdParams }), (request, reply) =>
    remove(request, reply, (c) => serverKeys.deleteServerKey(c, request.params.clientKey, request.params.id)),
  );
  done();
};
