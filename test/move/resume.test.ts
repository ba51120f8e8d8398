/**
 * Interrupted copies: a mover killed mid-copy, or an import from a cut-off export file, leaves a
 * target that the same command completes when run again; a rerun after the source lost rows deletes
 * them from the target too.
 */
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newInstance, otherKind, runMove, seedBySql, withDatabase, type Instance } from './support';

jest.setTimeout(120_000);

const IDENTITIES = 5000;
let source: Instance, copied: Instance, imported: Instance;
const exportFile = (extension: string) => join(__dirname, '..', '..', 'dist', `move-test-${process.pid}.${extension}`);

beforeAll(async () => {
  [source, copied, imported] = await Promise.all([newInstance(otherKind()), newInstance(otherKind()), newInstance(otherKind())]);
  await withDatabase(source, (db) => seedBySql(db, IDENTITIES));
});

afterAll(async () => {
  await Promise.all([source, copied, imported].map((instance) => instance?.drop()));
  for (const extension of ['ndjson', 'ndjson.gz']) rmSync(exportFile(extension), { force: true });
});

/** Exit code 0, and every table the same on both sides (the identities as many as the source holds). */
const expectVerified = (run: { code: number | null; stdout: string }, identities = IDENTITIES) => {
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`^identities +${identities} +${identities} .* same$`, 'm'));
  expect(run.stdout).not.toContain('DIFFERENT');
};

test('a mover killed while copying identities completes when run again', async () => {
  const args = ['copy', '--from', source.spec, '--to', copied.spec, '--page-rows', '50'];
  // The tables before identities are done: it is copying identities, a page at a time.
  const killed = await runMove(args, { killWhen: (stderr) => stderr.includes('segments:') });
  expect(killed.signal).toBe('SIGKILL');
  const [{ count }] = await withDatabase(copied, (db) => db.query<{ count: number }>('SELECT count(*)::int AS count FROM identities'));
  expect(count).toBeLessThan(IDENTITIES);

  const resumed = await runMove(args);
  expectVerified(resumed);
  expect(resumed.stderr).toMatch(
    new RegExp(`identities: 5,000 rows .*\\(${(IDENTITIES - count).toLocaleString('en-US')} written, 0 deleted\\)`),
  );
});

test('a cut-off or foreign export file is refused; the whole file then completes the import', async () => {
  const file = exportFile('ndjson');
  expect((await runMove(['export', '--from', source.spec, '--out', file])).code).toBe(0);
  const whole = readFileSync(file);

  truncateSync(file, Math.floor(whole.length / 2));
  const cut = await runMove(['import', '--in', file, '--to', imported.spec]);
  expect(cut.code).toBe(2);
  expect(cut.stderr).toMatch(/^move: .*move-test-\d+\.ndjson is truncated: /m);

  // Cut at a line's end: every row there, but not the last line, which proves the file complete.
  writeFileSync(file, whole.subarray(0, whole.lastIndexOf('\n', whole.length - 2) + 1));
  const unfinished = await runMove(['import', '--in', file, '--to', imported.spec]);
  expect(unfinished.code).toBe(2);
  expect(unfinished.stderr).toMatch(/is truncated: it ends before its last line$/m);

  writeFileSync(file, '{"name": "flagstack"}\n');
  const foreign = await runMove(['import', '--in', file, '--to', imported.spec]);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr).toMatch(/is not a flagstack export/);

  writeFileSync(file, whole);
  expectVerified(await runMove(['import', '--in', file, '--to', imported.spec]));
});

test('a cut-off gzip export file is refused', async () => {
  const file = exportFile('ndjson.gz');
  expect((await runMove(['export', '--from', source.spec, '--out', file])).code).toBe(0);
  truncateSync(file, Math.floor(readFileSync(file).length / 2));
  const run = await runMove(['import', '--in', file, '--to', imported.spec]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/is truncated/);
});

// Last: it changes the source.
test('a rerun after rows were deleted at the source deletes them at the target', async () => {
  await withDatabase(source, (db) => db.query(`DELETE FROM identities WHERE identifier IN ('user-1', 'user-500', 'user-5000')`));
  const rerun = await runMove(['copy', '--from', source.spec, '--to', copied.spec, '--page-rows', '300']);
  expectVerified(rerun, IDENTITIES - 3);
  expect(rerun.stderr).toMatch(/identities: 4,997 rows .*\(0 written, 3 deleted\)/);
});
