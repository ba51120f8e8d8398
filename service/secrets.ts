/**
 * Secrets the service hands out (admin tokens `fsa_…`, server keys `ser.…`): made at random, shown
 * once, kept only as a SHA-256 hash, which is what a presented secret is looked up by.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The hash a secret is stored and looked up by. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A new random secret with a readable prefix. */
export const newSecret = (prefix: string): string => `${prefix}${randomBytes(24).toString('base64url')}`;
