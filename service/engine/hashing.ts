import { hash } from 'node:crypto';

/**
 * Flagsmith's hashed percentage of some ids, given already joined by commas (`"<feature key>,<identity
 * key>"`): md5 of the text, as an integer, modulo 9999, scaled to [0, 100). Every Flagsmith engine
 * computes the same number for the same ids, which is what keeps remote and local evaluation in step.
 */
export function hashedPercentage(joinedIds: string): number {
  for (let text = joinedIds; ; text = `${text},${joinedIds}`) {
    const value = (md5Modulo9999(text) / 9998) * 100;
    // Exactly 100 is outside the range: Flagsmith hashes again with the ids repeated.
    if (value !== 100) return value;
  }
}

/**
 * The md5 digest, read as a big-endian integer, modulo 9999: byte by byte, exact in doubles, with no
 * BigInt; the digest comes as 'binary' (latin1) text, one character per byte (cheaper than parsing hex).
 */
function md5Modulo9999(text: string): number {
  const digest = hash('md5', text, 'binary');
  let remainder = 0;
  for (let i = 0; i < 16; i++) remainder = (remainder * 256 + digest.charCodeAt(i)) % 9999;
  return remainder;
}
