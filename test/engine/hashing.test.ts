/** Flagsmith's hashed percentage, against values computed by an independent md5 (Python's hashlib). */
import { createHash } from 'node:crypto';
import { hashedPercentage } from '../../service/engine/hashing';

// (md5(text) as an integer % 9999) / 9998 * 100, computed outside this code base.
test.each([
  ['7,env_key_ada', 76.65533106621324],
  ['1,a', 27.245449089817964],
  ['123456,x_y_z', 5.9211842368473695],
  ['100,env_key_bob', 33.30666133226645],
  ['7,ünïcødé', 44.54890978195639], // md5 of the UTF-8 bytes
])('%s → %s', (text, expected) => {
  expect(hashedPercentage(text)).toBe(expected);
});

test('a text hashing to exactly 100 is hashed again with the ids repeated', () => {
  // md5('1,env_key_7825') % 9999 is 9998, i.e. 100%; Flagsmith then hashes '1,env_key_7825,1,env_key_7825'.
  const bigint = BigInt(`0x${createHash('md5').update('1,env_key_7825').digest('hex')}`);
  expect(bigint % 9999n).toBe(9998n);
  expect(hashedPercentage('1,env_key_7825')).toBe(32.94658931786357);
});

test('agrees with the BigInt formulation on many texts, always in [0, 100)', () => {
  for (let i = 0; i < 2000; i++) {
    const text = `${i * 7},env_${i % 13}_user-${i}`;
    const reference = (Number(BigInt(`0x${createHash('md5').update(text).digest('hex')}`) % 9999n) / 9998) * 100;
    const value = hashedPercentage(text);
    if (reference !== 100) expect(value).toBe(reference);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThan(100);
  }
});
