/**
 * Interrupted copies: a mover killed mid-copy, or an import from a cut-off export file, leaves a
 * target that the same command completes when run again; a rerun after the source lost rows deletes
 * them from the target too.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newInstance, otherKind, runMove, seedBySql, withDatabase, type Instance } from './support';

jest.setTimeout(120_000);

let source: Instance;
const instances: Instance[] = [];
const fresh = async () => {
  const instance = await newInstance(otherKind());
  instances.push(instance);
  return instance;
};

beforeAll(async () => {
  source = await fresh();
  await withDatabase(source, (db) => seedBySql(db, 20_000));
});

afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.drop()));
});

const expectVerified = (run: { code: number | null; stdout: string }) => {
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^identities +20000 +20000 .* same$/m);
  expect(run.stdout).not.toContain('DIFFERENT');
};

test('a mover killed while copying identities completes when run again', async () => {
  const target = await fresh();
  const args = ['copy', '--from', source.spec, '--to', target.spec, '--page-rows', '100'];
  // The tables before identities are done: it is copying identities, a page at a time.
  const killed = await runMove(args, (stderr) => stderr.includes('segments:'));
  expect(killed.signal).toBe('SIGKILL');
  const [{ copied }] = await withDatabase(target, (db) => db.query<{ copied: number }>('SELECT count(*)::int AS copied FROM identities'));
  expect(copied).toBeLessThan(20_000);

  const resumed = await runMove(args);
  expectVerified(resumed);
  expect(resumed.stderr).toMatch(/identities: 20,000 rows .*\(\d[\d,]* written, 0 deleted\)/);
});

test('a rerun after rows were deleted at the source deletes them at the target', async () => {
  const [smallSource, target] = [await fresh(), await fresh()];
  await withDatabase(smallSource, (db) => seedBySql(db, 1000));
  expect((await runMove(['copy', '--from', smallSource.spec, '--to', target.spec])).code).toBe(0);
  await withDatabase(smallSource, (db) => db.query(`DELETE FROM identities WHERE identifier IN ('user-1', 'user-500', 'user-1000')`));
  const rerun = await runMove(['copy', '--from', smallSource.spec, '--to', target.spec, '--page-rows', '300']);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toMatch(/identities: 997 rows .*\(0 written, 3 deleted\)/);
});

test('a cut-off or foreign export file is refused; the whole file then completes the import', async () => {
  const target = await fresh();
  const file = join(__dirname, '..', '..', 'dist', `move-test-${process.pid}.ndjson`);
  expect((await runMove(['export', '--from', source.spec, '--out', file])).code).toBe(0);
  const whole = readFileSync(file);

  truncateSync(file, Math.floor(whole.length / 2));
  const cut = await runMove(['import', '--in', file, '--to', target.spec]);
  expect(cut.code).toBe(2);
  expect(cut.stderr).toMatch(/move: .*move-test-\d+\.ndjson is truncated/);

  writeFileSync(file, '{"name": "flagstack"}\n');
  const foreign = await runMove(['import', '--in', file, '--to', target.spec]);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr).toMatch(/is not a flagstack export/);

  writeFileSync(file, whole);
  expectVerified(await runMove(['import', '--in', file, '--to', target.spec]));
});

test('a cut-off gzip export file is refused', async () => {
  const file = join(__dirname, '..', '..', 'dist', `move-test-${process.pid}.ndjson.gz`);
  expect((await runMove(['export', '--from', source.spec, '--out', file])).code).toBe(0);
  truncateSync(file, Math.floor(readFileSync(file).length / 2));
  const run = await runMove(['import', '--in', file, '--to', (await fresh()).spec]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/is truncated/);
});
