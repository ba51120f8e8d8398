/** /environments/:clientKey/identities: identities, their traits and their overrides of features. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { TraitLimits } from '../../schemas/sdk';
import type { IdentityBounds } from '../../storage/traits';
import type { AdminRoutes } from '../plugin';
import { EnvironmentParams, Paging } from '../schemas';
import * as identities from './operations';
import { identityCreate, IdentityFeatureParams, IdentityOverrideSet, IdentityParams, traitChanges } from './schemas';

export interface IdentityRoutesOptions extends AdminRoutes {
  /** What a trait may be, as in SDK requests. */
  traitLimits: TraitLimits;
  /** What one identity may hold. */
  identityBounds: IdentityBounds;
}

export const identityRoutes: FastifyPluginCallbackTypebox<IdentityRoutesOptions> = (api, options, done) => {
  const { db, doc, write, create, remove, traitLimits, identityBounds } = options;
  api.get(
    '/environments/:clientKey/identities',
    doc('List identities, newest first', { params: EnvironmentParams, querystring: Paging }),
    (request) => identities.listIdentities(db, request.params.clientKey, request.query),
  );
  api.post(
    '/environments/:clientKey/identities',
    doc('Create an identity', { params: EnvironmentParams, body: identityCreate(traitLimits) }),
    (request, reply) => create(request, reply, (c) => identities.createIdentity(c, request.params.clientKey, request.body, identityBounds)),
  );
  api.get(
    '/environments/:clientKey/identities/:identifier',
    doc('An identity with its traits and overrides', { params: IdentityParams }),
    (request) => identities.getIdentity(db, request.params.clientKey, request.params.identifier),
  );
  api.delete('/environments/:clientKey/identities/:identifier', doc('Delete an identity', { params: IdentityParams }), (request, reply) =>
    remove(request, reply, (c) => identities.deleteIdentity(c, request.params.clientKey, request.params.identifier)),
  );

  api.patch(
    '/environments/:clientKey/identities/:identifier/traits',
    doc('Set traits (null deletes one)', { params: IdentityParams, body: traitChanges(traitLimits) }),
    (request) =>
      write(request, (c) => identities.updateTraits(c, request.params.clientKey, request.params.identifier, request.body, identityBounds)),
  );

  api.put(
    '/environments/:clientKey/identities/:identifier/overrides/:featureName',
    doc('Override a feature for one identity', { params: IdentityFeatureParams, body: IdentityOverrideSet }),
    (request) => {
      const { clientKey, identifier, featureName } = request.params;
      return write(request, (c) => identities.setIdentityOverride(c, clientKey, identifier, featureName, request.body));
    },
  );
  api.delete(
    '/environments/:clientKey/identities/:identifier/overrides/:featureName',
    doc("Remove an identity's override", { params: IdentityFeatureParams }),
    (request, reply) => {
      const { clientKey, identifier, featureName } = request.params;
      return remove(request, reply, (c) => identities.deleteIdentityOverride(c, clientKey, identifier, featureName));
    },
  );
  done();
};
