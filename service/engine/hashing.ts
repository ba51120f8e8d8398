import { createHash } from 'node:crypto';

/**
 * Flagsmith's hashed percentage: md5 of the ids joined by commas, as a number in [0, 100). The same
 * ids always give the same number, in every Flagsmith engine, so remote and local evaluation agree.
 */
export function hashedPercentage(ids: readonly string[], iterations = 1): number {
  const joined = iterations === 1 ? ids.join(',') : Array.from({ length: iterations }, () => ids).flat().join(',');
  const hash = BigInt(`0x${createHash('md5').update(joined).digest('hex')}`);
  const value = (Number(hash % 9999n) / 9998) * 100;
  // Exactly 100 is excluded from the range; Flagsmith re-hashes with the ids repeated.
  return value === 100 ? hashedPercentage(ids, iterations + 1) : value;
}
