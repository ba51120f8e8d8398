/**
 * The bundled service runs with V8's allocation-site pretenuring off (service/v8-settings.ts), unless
 * its command line chose. V8 prints its pretenuring statistics at young-generation collections only
 * while pretenuring is on, so the same start-up and requests print some with the command line's
 * choice and none without.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBundle } from '../support/bundle';

/** Starts the bundle with `v8Flags`, sends requests enough for many collections, stops it; its output. */
async function pretenuringOutput(v8Flags: string[]): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagstack-v8-'));
  try {
    const bundle = await startBundle({ nodeArgs: v8Flags, cwd: dataDir, env: { FLAGSTACK_ADMIN_TOKEN: 'v8-settings-test-token' } });
    try {
      // The OpenAPI document is some 100 KB of fresh objects each time.
      for (let i = 0; i < 200; i++) await (await fetch(`${bundle.url}/api/v1/docs/openapi.json`)).arrayBuffer();
    } finally {
      await bundle.stop();
    }
    return bundle.output();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const statistics = (output: string) => output.split('\n').filter((line) => line.includes('pretenuring:')).length;

test('allocation-site pretenuring is off in the service', async () => {
  expect(statistics(await pretenuringOutput(['--trace-pretenuring-statistics']))).toBe(0);
}, 60_000);

test("the command line's choice wins: --allocation-site-pretenuring keeps V8's default", async () => {
  expect(statistics(await pretenuringOutput(['--trace-pretenuring-statistics', '--allocation-site-pretenuring']))).toBeGreaterThan(0);
}, 60_000);
