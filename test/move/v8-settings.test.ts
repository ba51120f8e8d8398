/**
 * The mover sets V8 up to bound its memory (service/move/main.ts), each setting unless its command line
 * chose: PGlite's WebAssembly stays on the baseline compiler, Liftoff, and the young generation does
 * not grow past its first size (a few MB). V8's traces show both: under --trace-wasm-compilation-times it names the compiler of each
 * WebAssembly function it compiles, under --trace-gc-verbose the young generation's committed size at
 * each collection. Exporting a PGlite instance of 20,000 identities warms Postgres's functions enough
 * for TurboFan to optimise some, and makes garbage enough for V8 to grow the young generation, when
 * each may.
 */
import { join } from 'node:path';
import { newInstance, runMove, seedBySql, withDatabase, type Instance } from './support';

let source: Instance;

beforeAll(async () => {
  source = await newInstance('pglite');
  await withDatabase(source, (db) => seedBySql(db, 20_000));
}, 120_000);

afterAll(() => source?.drop());

/** Exports the source with `nodeArgs`; the lines the mover and V8 printed. */
async function exportWith(nodeArgs: string[]): Promise<string[]> {
  const run = await runMove(['export', '--from', source.spec, '--out', join(source.spec, '..', 'export.ndjson')], { nodeArgs });
  expect(run.code).toBe(0);
  return `${run.stdout}\n${run.stderr}`.split('\n');
}

const compiledWith = (lines: string[], compiler: string) => lines.filter((line) => line.includes(` using ${compiler},`)).length;

/** The largest committed size of the young generation V8 reported, in KB. */
const youngGenerationKb = (lines: string[]) =>
  Math.max(...lines.map((line) => Number(/New space,.*committed:\s*(\d+) KB/.exec(line)?.[1] ?? 0)));

test('PGlite runs on Liftoff alone in the mover: TurboFan compiles nothing', async () => {
  const lines = await exportWith(['--trace-wasm-compilation-times']);
  expect(compiledWith(lines, 'Liftoff')).toBeGreaterThan(100);
  expect(compiledWith(lines, 'TurboFan')).toBe(0);
}, 120_000);

test("the command line's choice wins: with --no-liftoff-only TurboFan optimises Postgres's hot functions", async () => {
  expect(compiledWith(await exportWith(['--trace-wasm-compilation-times', '--no-liftoff-only']), 'TurboFan')).toBeGreaterThan(0);
}, 120_000);

test('the young generation stays small in the mover, and grows as usual when the command line says so', async () => {
  const bounded = youngGenerationKb(await exportWith(['--trace-gc-verbose']));
  const usual = youngGenerationKb(await exportWith(['--trace-gc-verbose', '--semi-space-growth-factor=2']));
  expect(bounded).toBeGreaterThan(0);
  expect(bounded).toBeLessThanOrEqual(4096);
  expect(usual).toBeGreaterThan(2 * bounded);
}, 120_000);
