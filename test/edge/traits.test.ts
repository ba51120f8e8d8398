/** The edge's trait store keeps the bounds under concurrent writes, and lets an identity past them shrink. */
import { silentLog } from '../../service/log';
import { EdgeTraitStore } from '../../service/edge/traits';
import { FakeTable } from './fake-table';
import { TABLE } from './support';

let table: FakeTable;
beforeEach(() => (table = new FakeTable()));
afterEach(() => table.restore());

const traits = (prefix: string, count: number) =>
  new Map(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, i] as [string, number]));

test('two writers racing past the bounds: one is stored, the other refused after reading the first', async () => {
  const store = new EdgeTraitStore(table.client, { tableName: TABLE, bounds: { maxTraits: 20, maxBytes: 65_536 } }, silentLog);
  const ref = { environmentId: 7, identifier: 'raced' };
  // Both read an absent identity before either updates it.
  const results = await Promise.allSettled([store.write(ref, traits('a', 15)), store.write(ref, traits('b', 15))]);
  expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { statusCode: 400, code: 'TRAIT_LIMIT_EXCEEDED' } });
  expect((await store.read(ref)).size).toBe(15);
});

test('an identity past bounds that were lowered may shrink, but not grow', async () => {
  const ref = { environmentId: 7, identifier: 'lowered' };
  await new EdgeTraitStore(table.client, { tableName: TABLE, bounds: { maxTraits: 200, maxBytes: 65_536 } }, silentLog).write(
    ref,
    traits('a', 10),
  );
  const strict = new EdgeTraitStore(table.client, { tableName: TABLE, bounds: { maxTraits: 5, maxBytes: 65_536 } }, silentLog);
  await expect(strict.write(ref, new Map([['b', 1]]))).rejects.toMatchObject({ statusCode: 400 });
  expect(
    (
      await strict.write(
        ref,
        new Map([
          ['a0', null],
          ['a1', 'changed'],
        ]),
      )
    ).size,
  ).toBe(9);
  // Unchanged traits resent: nothing to store, nothing refused.
  expect((await strict.write(ref, new Map([['a2', 2]]))).size).toBe(9);
});
