/**
 * The bundled service runs with V8's allocation-site pretenuring off (service/v8-settings.ts), unless
 * its command line chose. V8 prints its pretenuring statistics at young-generation collections only
 * while pretenuring is on, so the same start-up and requests print some with the command line's
 * choice and none without.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Starts the bundle with `v8Flags`, sends requests enough for many collections, stops it; its output. */
async function pretenuringOutput(v8Flags: string[]): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flagstack-v8-'));
  const child = spawn(process.execPath, [...v8Flags, join(ROOT, 'dist/service/server.js')], {
    cwd: dataDir,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', FLAGSTACK_ADMIN_TOKEN: 'v8-settings-test-token' },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 20 s:\n${output}`)), 20000);
      child.stdout!.on('data', () => {
        const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    // The OpenAPI document is some 100 KB of fresh objects each time.
    for (let i = 0; i < 200; i++) await (await fetch(`${url}/api/v1/docs/openapi.json`)).arrayBuffer();
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  return output;
}

const statistics = (output: string) => output.split('\n').filter((line) => line.includes('pretenuring:')).length;

test('allocation-site pretenuring is off in the service', async () => {
  expect(statistics(await pretenuringOutput(['--trace-pretenuring-statistics']))).toBe(0);
}, 60_000);

test("the command line's choice wins: --allocation-site-pretenuring keeps V8's default", async () => {
  expect(statistics(await pretenuringOutput(['--trace-pretenuring-statistics', '--allocation-site-pretenuring']))).toBeGreaterThan(0);
}, 60_000);
