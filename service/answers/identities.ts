/**
 * Flags for an identity: persist the request's traits (unless transient), read the identity's stored
 * traits, overlay the transient ones, evaluate. The trait store is the only I/O: the database on the
 * service, the flag table at the edge.
 */
import { randomUUID } from 'node:crypto';
import { evaluateIdentityFlags } from '../engine';
import type { TraitValue } from '../schemas/environment-document';
import type { IdentityBody } from '../schemas/sdk';
import type { IdentityTraitStore } from '../storage/traits';
import { identityBody, type FlagAudience, type ResponseTrait } from './flag-responses';
import type { PreparedEnvironment } from '../environments/prepared-environment';

export async function identityFlagsBody(
  traitStore: IdentityTraitStore,
  env: PreparedEnvironment,
  request: IdentityBody,
  audience: FlagAudience,
): Promise<Buffer> {
  // Flagsmith treats an empty identifier as a transient identity with a generated identifier.
  const transientIdentity = request.transient === true || request.identifier === '';
  const identifier = request.identifier === '' ? randomUUID() : request.identifier;
  // An environment may refuse traits sent with its client key (Flagsmith's allow_client_traits).
  const acceptedTraits = audience === 'client' && env.compiled.document.allow_client_traits === false ? [] : (request.traits ?? []);

  const effective = new Map<string, TraitValue>();
  const transientKeys = new Set<string>();
  if (!transientIdentity) {
    const toStore = new Map<string, TraitValue | null>();
    for (const trait of acceptedTraits) if (!trait.transient) toStore.set(trait.trait_key, trait.trait_value);
    const ref = { environmentId: env.environmentId, identifier };
    const stored = toStore.size > 0 ? await traitStore.write(ref, toStore) : await traitStore.read(ref);
    // With the store away, a read-only request still gets flags, from the traits it sent.
    for (const [key, value] of stored ?? []) effective.set(key, value);
  }
  for (const trait of acceptedTraits) {
    if (!transientIdentity && !trait.transient) continue;
    if (trait.trait_value === null) effective.delete(trait.trait_key);
    else {
      effective.set(trait.trait_key, trait.trait_value);
      transientKeys.add(trait.trait_key);
    }
  }

  const flags = evaluateIdentityFlags(env.compiled, identifier, Object.fromEntries(effective));
  const traits: ResponseTrait[] = [...effective].map(([key, value]) =>
    transientKeys.has(key) ? { trait_key: key, trait_value: value, transient: true } : { trait_key: key, trait_value: value },
  );
  return identityBody(env, identifier, flags, traits, audience);
}
