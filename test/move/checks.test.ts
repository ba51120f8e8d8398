/**
 * The mover's refusals and its verification: each bad input is one line and exit code 2 before
 * anything is written, a difference is exit code 1 naming the tables, --force replaces a target.
 */
import { migrate } from '../../service/storage/migrate';
import { MIGRATIONS } from '../../service/storage/migrations';
import { newInstance, openInstance, otherKind, runMove, seedBySql, withDatabase, type Instance } from './support';

jest.setTimeout(120_000);

let source: Instance;
const instances: Instance[] = [];
const fresh = async (kind = otherKind()) => {
  const instance = await newInstance(kind);
  instances.push(instance);
  return instance;
};

beforeAll(async () => {
  source = await fresh();
  await withDatabase(source, (db) => seedBySql(db, 300));
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.drop()));
});

/** Refused: exit code 2, one line on stderr saying `message`, and no stack trace. */
const expectRefusal = (run: { code: number | null; stderr: string }, message: RegExp) => {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(message);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
};

test.each([
  ['no command', [], /move/],
  ['a missing --to', ['copy', '--from', 'x'], /required option '--to <end>'/],
  ['an unknown option', ['copy', '--from', 'x', '--to', 'y', '--fast'], /unknown option '--fast'/],
  ['a bad page size', ['copy', '--from', 'x', '--to', 'y', '--page-rows', '0'], /--page-rows/],
])('bad arguments (%s) are refused with exit code 2', async (_name, args, message) => {
  const run = await runMove(args);
  expect(run.code).toBe(2);
  expect(`${run.stderr}${run.stdout}`).toMatch(message);
});

test('an unreachable source is refused, naming it and why', async () => {
  expectRefusal(
    await runMove(['copy', '--from', 'postgres://127.0.0.1:1/x', '--to', 'y']),
    /cannot reach the source postgres:\/\/127\.0\.0\.1:1\/x: .*ECONNREFUSED/,
  );
});

test('an unreachable target is refused, naming it without its password', async () => {
  const run = await runMove(['copy', '--from', source.spec, '--to', 'postgres://mover:secret@127.0.0.1:1/x']);
  expectRefusal(run, /cannot reach the target postgres:\/\/mover@127\.0\.0\.1:1\/x/);
  expect(run.stderr).not.toContain('secret');
});

test('an end that is neither a folder nor a postgres URL, or a source folder that does not exist, is refused', async () => {
  expectRefusal(await runMove(['copy', '--from', 'mysql://db/x', '--to', 'y']), /neither a PGlite folder nor a postgres:\/\/ URL/);
  expectRefusal(
    await runMove(['copy', '--from', '/nonexistent/flagstack', '--to', 'y']),
    /the source folder \/nonexistent\/flagstack does not exist/,
  );
});

test('the same instance at both ends is refused', async () => {
  // A PGlite folder cannot be opened twice; a PostgreSQL database can, and is found to be itself.
  expectRefusal(await runMove(['copy', '--from', source.spec, '--to', source.spec]), /same instance|is in use by process/);
});

test('a target at an older schema version is refused, naming both versions and the fix', async () => {
  const target = await fresh();
  await withDatabase(target, (db) => migrate(db, MIGRATIONS.slice(0, 5)));
  expectRefusal(
    await runMove(['copy', '--from', source.spec, '--to', target.spec]),
    /the target .* is at schema version 5 and this build at 6: run `npm run migrate` against it/,
  );
});

test('a target holding other rows is refused without --force, made an exact copy with it; verify then finds one changed trait', async () => {
  const target = await fresh();
  await withDatabase(target, async (db) => {
    await seedBySql(db, 20);
    await db.query(`INSERT INTO projects (id, name) VALUES (9999, 'only on the target')`);
  });
  expectRefusal(
    await runMove(['copy', '--from', source.spec, '--to', target.spec]),
    /is not empty: it holds rows that are not a copy of this source; give --force/,
  );
  expect((await runMove(['copy', '--from', source.spec, '--to', target.spec, '--force'])).code).toBe(0);
  expect(await withDatabase(target, (db) => db.query(`SELECT name FROM projects`))).toEqual([{ name: 'sql' }]);
  expect((await runMove(['verify', '--from', source.spec, '--to', target.spec])).code).toBe(0);

  await withDatabase(target, (db) => db.query(`UPDATE identities SET traits = traits || '{"trait_1": 0}' WHERE identifier = 'user-7'`));
  const run = await runMove(['verify', '--from', source.spec, '--to', target.spec]);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^identities +300 +300 +\w+ +\w+ +DIFFERENT$/m);
  expect(run.stdout).toMatch(/^feature_states .* same$/m);
  expect(run.stderr).toBe('the target differs from the source in identities\n');
});

test('an instance in use by a running service is refused', async () => {
  // A PGlite folder: the source where it is one, else a new one as the target.
  const folder = source.kind === 'pglite' ? source : await fresh('pglite');
  const role = folder === source ? 'source' : 'target';
  const db = await openInstance(folder);
  try {
    const run = await runMove(['copy', '--from', source.spec, '--to', folder === source ? (await fresh()).spec : folder.spec]);
    expectRefusal(run, new RegExp(`the ${role}: .* is in use by process ${process.pid}`));
  } finally {
    await db.close();
  }
});
