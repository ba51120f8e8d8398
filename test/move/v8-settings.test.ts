/**
 * The mover keeps PGlite's WebAssembly on V8's baseline compiler, Liftoff (service/move/main.ts), unless
 * its command line chose. Under --trace-wasm-compilation-times V8 names the compiler of each function it
 * compiles; exporting a small PGlite instance warms Postgres's functions enough for TurboFan to optimise
 * some of them when it may.
 */
import { join } from 'node:path';
import { newInstance, runMove, seedBySql, withDatabase, type Instance } from './support';

let source: Instance;

beforeAll(async () => {
  source = await newInstance('pglite');
  await withDatabase(source, (db) => seedBySql(db, 200));
}, 120_000);

afterAll(() => source?.drop());

/** Exports the source with V8 tracing WebAssembly compilations; how many functions each compiler compiled. */
async function compilations(nodeArgs: string[]): Promise<{ liftoff: number; turboFan: number }> {
  const run = await runMove(['export', '--from', source.spec, '--out', join(source.spec, '..', 'export.ndjson')], undefined, {}, [
    '--trace-wasm-compilation-times',
    ...nodeArgs,
  ]);
  expect(run.code).toBe(0);
  const lines = `${run.stdout}\n${run.stderr}`.split('\n');
  return {
    liftoff: lines.filter((line) => / using Liftoff,/.test(line)).length,
    turboFan: lines.filter((line) => / using TurboFan,/.test(line)).length,
  };
}

test('PGlite runs on Liftoff alone in the mover: TurboFan compiles nothing', async () => {
  const { liftoff, turboFan } = await compilations([]);
  expect(liftoff).toBeGreaterThan(100);
  expect(turboFan).toBe(0);
}, 120_000);

test("the command line's choice wins: with --no-liftoff-only TurboFan optimises Postgres's hot functions", async () => {
  expect((await compilations(['--no-liftoff-only'])).turboFan).toBeGreaterThan(0);
}, 120_000);
