/**
 * A whole instance copied PGlite → PostgreSQL → PGlite (PGlite → PGlite → PGlite without DATABASE_URL),
 * once by `copy` and once through a gzip export file: every table's checksum equal at every stop, and
 * every identity answered the same flags and traits by a service on the last copy as on the source.
 */
import { join } from 'node:path';
import { checksums } from '../../service/move/verify';
import { answersOf, newInstance, otherKind, runMove, seedInstance, withDatabase, type Instance, type Seeded } from './support';

jest.setTimeout(120_000);

let source: Instance, middle: Instance, last: Instance;
let seeded: Seeded;
let sourceAnswers: Record<string, unknown>;

beforeAll(async () => {
  source = await newInstance('pglite');
  middle = await newInstance(otherKind());
  last = await newInstance('pglite');
  if (otherKind() === 'pglite') console.log('DATABASE_URL is unset: the middle copy is a PGlite folder, not PostgreSQL');
  seeded = await seedInstance(source);
  sourceAnswers = await answersOf(source, seeded);
});

afterAll(async () => {
  await Promise.all([source, middle, last].map((instance) => instance?.drop()));
});

const sums = (instance: Instance) => withDatabase(instance, (db) => checksums(db));

test('copy, then export and import: the same rows at every stop, and the same answers at the end', async () => {
  const copied = await runMove(['copy', '--from', source.spec, '--to', middle.spec]);
  expect(copied).toMatchObject({ code: 0, stderr: expect.stringContaining('copied') });
  expect(copied.stdout).not.toContain('DIFFERENT');

  const file = join(last.spec, '..', 'instance.ndjson.gz');
  const exported = await runMove(['export', '--from', middle.spec, '--out', file]);
  expect(exported).toMatchObject({ code: 0, stderr: expect.stringContaining('exported') });
  const imported = await runMove(['import', '--in', file, '--to', last.spec]);
  expect(imported).toMatchObject({ code: 0, stderr: expect.stringContaining('imported') });

  const [atSource, atMiddle, atLast] = [await sums(source), await sums(middle), await sums(last)];
  expect(atSource.get('identities')!.count).toBeGreaterThan(200);
  for (const table of ['feature_states', 'multivariate_allocations', 'flag_analytics', 'audit_log', 'admin_tokens', 'server_keys']) {
    expect(atSource.get(table)!.count).toBeGreaterThan(0);
  }
  expect(atMiddle).toEqual(atSource);
  expect(atLast).toEqual(atSource);

  expect(await answersOf(last, seeded)).toEqual(sourceAnswers);
});

test('the copies record where they came from, and new rows on them take fresh ids', async () => {
  const instanceId = (instance: Instance) =>
    withDatabase(instance, async (db) => (await db.query<{ id: string }>('SELECT id::text FROM instance'))[0].id);
  for (const [from, copy] of [
    [source, middle],
    [middle, last],
  ]) {
    const moves = await withDatabase(copy, (db) => db.query('SELECT role, peer::text, peer_name, state FROM moves'));
    expect(moves).toEqual([{ role: 'target', peer: await instanceId(from), peer_name: expect.any(String), state: 'copied' }]);
    expect((moves[0] as { peer_name: string }).peer_name).not.toMatch(/:[^/@]*@/);
    const [{ fresh, largest }] = await withDatabase(copy, (db) =>
      db.query<{ fresh: number; largest: number }>(
        `SELECT nextval(pg_get_serial_sequence('identities', 'id'))::int AS fresh, (SELECT max(id) FROM identities) AS largest`,
      ),
    );
    expect(fresh).toBeGreaterThan(largest);
  }
});

test('a second copy changes nothing: no row is written, none gets a new version', async () => {
  const versions = () =>
    withDatabase(middle, (db) =>
      db.query(`SELECT (SELECT string_agg(xmin::text, ',' ORDER BY id) FROM identities) AS identities,
                                                  (SELECT string_agg(xmin::text, ',' ORDER BY id) FROM feature_states) AS states`),
    );
  const before = await versions();
  const again = await runMove(['copy', '--from', source.spec, '--to', middle.spec]);
  expect(again).toMatchObject({ code: 0, stderr: expect.stringContaining('0 rows written, 0 deleted') });
  expect(await versions()).toEqual(before);
});
