/**
 * /environments/:clientKey/document: the Flagsmith environment document, exported, or imported in
 * place of the environment's whole configuration (201 when the import created the environment).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { EnvironmentDocument } from '../../schemas/environment-document';
import type { AdminRoutes } from '../plugin';
import { EnvironmentParams } from '../schemas';
import { exportDocument, importDocument } from './operations';
import { ImportQuery } from './schemas';

export const documentRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, write }, done) => {
  api.get(
    '/environments/:clientKey/document',
    doc('Export the environment document', { params: EnvironmentParams }, EnvironmentDocument),
    (request) => exportDocument(db, request.params.clientKey),
  );
  api.put(
    '/environments/:clientKey/document',
    doc(
      "Replace the environment's whole configuration with a Flagsmith environment document",
      { params: EnvironmentParams, querystring: ImportQuery, body: EnvironmentDocument },
      EnvironmentDocument,
    ),
    async (request, reply) => {
      const result = await write(request, (c) => importDocument(c, request.params.clientKey, request.body, request.query.project));
      // Exported after the commit, which stamped the environment's new version.
      return reply.code(result.created ? 201 : 200).send(await exportDocument(db, request.params.clientKey));
    },
  );
  done();
};
