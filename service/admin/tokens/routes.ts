/** /tokens: admin tokens, listed (without their secrets), created (the token shown once) and revoked. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { AdminRoutes } from '../plugin';
import { IdParams } from '../schemas';
import * as tokens from './operations';
import { TokenCreate, TokenCreated } from './schemas';

export const tokenRoutes: FastifyPluginCallbackTypebox<AdminRoutes> = (api, { db, doc, create, remove }, done) => {
  api.get('/tokens', doc('List admin tokens', {}), () => tokens.listTokens(db));
  api.post('/tokens', doc('Create an admin token; shown only in this response', { body: TokenCreate }, TokenCreated), (request, reply) =>
    create(request, reply, (c) => tokens.createToken(c, request.body)),
  );
  api.delete('/tokens/:id', doc('Revoke an admin token', { params: IdParams }), (request, reply) =>
    remove(request, reply, (c) => tokens.revokeToken(c, request.params.id)),
  );
  done();
};
