/** The flag table's item layout: encoding of environments (plain or gzipped), and keys that always fit. */
import { decodeDocument, encodeDocument, ItemTooLargeError, traitsKey, type PublishedEnvironment } from '../../service/edge/flag-table';
import { documentWith, state } from '../engine/build-document';
import { featuresOf } from './support';

const environment = (values: string[]): PublishedEnvironment => {
  const document = documentWith({ feature_states: values.map((value, i) => state(i + 1, `f${i}`, value)) });
  return {
    environmentId: 1,
    version: 1_700_000_000_000_000,
    updatedAt: new Date('2026-01-01T00:00:00.123Z'),
    document,
    features: featuresOf(document),
    keys: ['env_key'],
  };
};

test('a small environment is stored as JSON and read back whole', () => {
  const item = encodeDocument(environment(['a', 'b']));
  expect(item).toMatchObject({ pk: 'env#1', sk: 'document', format: 1, encoding: 'json', version: 1_700_000_000_000_000 });
  expect(decodeDocument(item)).toEqual(environment(['a', 'b']));
});

test('a large one is gzipped', () => {
  const large = environment(Array.from({ length: 50 }, (_, i) => `value ${i} `.repeat(100)));
  const item = encodeDocument(large);
  expect(item.encoding).toBe('gzip');
  expect((item.body as Buffer).byteLength).toBeLessThan(JSON.stringify(large.document).length / 5);
  expect(decodeDocument({ ...item, body: new Uint8Array(item.body as Buffer) })).toEqual(large);
});

test('one that does not fit even gzipped is refused, naming the environment and its size', () => {
  const random = () => Array.from({ length: 20_000 }, () => String.fromCharCode(33 + Math.floor(Math.random() * 90))).join('');
  const huge = environment(Array.from({ length: 30 }, random));
  expect(() => encodeDocument(huge)).toThrow(ItemTooLargeError);
  expect(() => encodeDocument(huge)).toThrow(/environment 1: its edge document is \d+ KB even gzipped/);
});

test('an unknown format is refused with a message saying what to do; a tombstone holds no environment', () => {
  expect(() => decodeDocument({ pk: 'env#1', sk: 'document', version: 1, format: 2, encoding: 'json', body: '{}' })).toThrow(
    /format 2 is not 1; deploy the edge/,
  );
  expect(decodeDocument({ pk: 'env#1', sk: 'document', version: Number.MAX_SAFE_INTEGER, deleted: true })).toBeUndefined();
});

test("identity keys stay within DynamoDB's 2 KB partition-key limit whatever the identifier", () => {
  const key = traitsKey(123456, '身份'.repeat(1000));
  expect(Buffer.byteLength(key.pk)).toBeLessThan(100);
  expect(traitsKey(1, 'a')).not.toEqual(traitsKey(2, 'a'));
});
