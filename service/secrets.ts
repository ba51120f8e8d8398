/**
 * Secrets the service hands out (admin tokens `fsa_…`, server keys `ser.…`): made at random, shown
 * once, kept only as a SHA-256 hash, which is what a presented secret is looked up by; and how an SDK
 * key is looked up (a client key as is, a server key by that hash).
 */
import { createHash, randomBytes } from 'node:crypto';

/** The hash a secret is stored and looked up by. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A new random secret with a readable prefix. */
export const newSecret = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;

/** What an SDK key reaches. */
export interface ResolvedKey {
  readonly environmentId: number;
  /** True for a server-side key (`ser.…`), false for the environment's client key. */
  readonly server: boolean;
}

/** Server-side keys start `ser.`; the rest are environments' client keys. */
export const isServerKey = (key: string): boolean => key.startsWith('ser.');

/** What a key is indexed by: a server key's hash, a client key itself. */
export const keyLookupId = (key: string): string => (isServerKey(key) ? hashSecret(key) : key);
